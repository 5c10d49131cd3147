/**
 * The evaluation report of a version, drawn: the models' figures, per-class
 * precision and recall, the confusion matrix as a heat map, feature
 * importance, and the passive-database comparison. Sections the page does not
 * know (new baselines, truth tables, ...) are drawn generically from whatever
 * the report holds, so a richer report shows without a page change.
 */
import type { ConfusionMatrix, EvaluationReport } from '../src/api-types.ts';
import { barChart, heatMap } from './charts.ts';
import { facts, fmt, h, table, type Child } from './dom.ts';
import { renderTruth } from './truth-view.ts';

/** Sections drawn by name below; every other key of the report is drawn generically. */
const KNOWN = new Set([
  'format',
  'subject',
  'options',
  'rows',
  'classes',
  'classesBelowMinSupport',
  'features',
  'models',
  'featureImportance',
  'passive',
  'learnedPassive',
  'truth',
]);

const human = (key: string): string =>
  key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]/g, ' ')
    .replace(/^./, (c) => c.toUpperCase());

/** Ratios of a figures object are shown as percentages. */
const looksLikeRatio = (key: string, value: number): boolean =>
  value >= 0 &&
  value <= 1 &&
  /accuracy|agreement|top1|top2|precision|recall|share|rate|fraction/i.test(key) &&
  !/^(rows|matched|count)$/i.test(key);

function scalar(key: string, value: unknown): Child {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') return looksLikeRatio(key, value) ? fmt.pct(value) : fmt.num(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return value.join(', ');
  return h('code', {}, JSON.stringify(value));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFlat = (v: Record<string, unknown>) =>
  Object.values(v).every(
    (x) => (!isRecord(x) && !Array.isArray(x)) || (Array.isArray(x) && x.every((y) => !isRecord(y))),
  );

/** Any JSON value as tables: objects as label/value rows (nested ones as sub-sections), arrays of objects as tables. */
export function renderGeneric(value: unknown, depth = 3): Child {
  if (Array.isArray(value)) {
    if (value.length === 0) return h('p', { class: 'muted' }, 'none');
    if (value.every(isRecord) && value.every(isFlat)) {
      const keys = [...new Set(value.flatMap((v) => Object.keys(v)))];
      return table(
        keys.map(human),
        value.map((v) => keys.map((k) => scalar(k, v[k]))),
        { class: 'generic' },
      );
    }
    return h('div', {}, ...value.map((v) => renderGeneric(v, depth - 1)));
  }
  if (isRecord(value)) {
    const flat = Object.entries(value).filter(([, v]) => !isRecord(v) && !(Array.isArray(v) && v.some(isRecord)));
    const nested = Object.entries(value).filter(([, v]) => isRecord(v) || (Array.isArray(v) && v.some(isRecord)));
    return h(
      'div',
      { class: 'generic' },
      flat.length > 0 ? facts(flat.map(([k, v]) => [human(k), scalar(k, v)])) : null,
      ...nested.map(([k, v]) =>
        depth > 0
          ? h('section', {}, h('h3', {}, human(k)), renderGeneric(v, depth - 1))
          : h('pre', {}, JSON.stringify(v, null, 2)),
      ),
    );
  }
  return h('p', {}, scalar('', value));
}

type Model = EvaluationReport['models'][number];

/** Figures of a model that are numbers: its table columns (so new figures appear without a page change). */
function figureKeys(models: readonly Model[]): string[] {
  const keys = new Set<string>();
  for (const m of models) for (const [k, v] of Object.entries(m.figures)) if (typeof v === 'number') keys.add(k);
  return [...keys];
}

export function renderEvaluation(report: EvaluationReport): HTMLElement {
  const r = report.rows;
  const out = h(
    'section',
    { id: 'evaluation' },
    h('h2', {}, 'Evaluation'),
    h(
      'p',
      { class: 'muted' },
      `Seed ${report.options.seed}; ${fmt.pct(report.options.testFraction)} of each class held out; ${fmt.int(r.evaluated)} rows evaluated (${fmt.int(r.train)} train, ${fmt.int(r.trainUsed)} used; ${fmt.int(r.test)} test), ${fmt.int(r.unlabelled)} without a usable label, ${fmt.int(r.belowMinSupport)} in classes below min support (${report.options.minSupport}).`,
    ),
  );

  const keys = figureKeys(report.models);
  out.append(
    h('h3', {}, 'Models (test split)'),
    table(
      ['model', ...keys.map(human), 'what it is'],
      report.models.map((m) => [
        m.name,
        ...keys.map((k) => scalar(k, (m.figures as unknown as Record<string, unknown>)[k])),
        m.description,
      ]),
      { id: 'models' },
    ),
  );

  const forest = report.models.find((m) => m.name === 'random-forest') ?? report.models.at(-1);
  if (forest) {
    const perClass = forest.figures.perClass;
    out.append(
      h('h3', {}, `Per class (${forest.name}, test split)`),
      table(
        ['class', 'test rows', 'predicted', 'precision', 'recall'],
        perClass.map((c) => [c.label, c.support, c.predicted, fmt.pct(c.precision), fmt.pct(c.recall)]),
        { id: 'per-class' },
      ),
      barChart(
        'precision-recall',
        perClass.map((c) => c.label),
        [
          { name: 'precision', values: perClass.map((c) => c.precision ?? 0) },
          { name: 'recall', values: perClass.map((c) => c.recall) },
        ],
        { percent: true },
      ),
    );
    // Reports written before the confusion matrix was added have none.
    const confusion = forest.figures.confusion as ConfusionMatrix | undefined;
    out.append(
      h('h3', {}, `Confusion matrix (${forest.name}, test split: rows are the Nmap class, columns the prediction)`),
    );
    out.append(
      confusion
        ? heatMap('confusion', confusion.labels, confusion.counts)
        : h(
            'p',
            { class: 'muted', id: 'confusion-missing' },
            'This report has no confusion matrix: run osfp dataset evaluate again.',
          ),
    );
  }

  if (report.featureImportance.length > 0) {
    const top = report.featureImportance.slice(0, 20);
    out.append(
      h('h3', {}, 'Feature importance (permutation, random forest, test split)'),
      h(
        'p',
        { class: 'muted' },
        'Top-1 accuracy lost when the feature is shuffled. Features that carry the same information share the credit.',
      ),
      barChart(
        'importance',
        top.map((f) => f.feature),
        [{ name: 'accuracy lost', values: top.map((f) => f.importance) }],
        { horizontal: true },
      ),
    );
  }

  out.append(h('h3', {}, 'Passive database vs the Nmap labels'));
  out.append(
    report.passive === null
      ? h('p', { class: 'muted', id: 'passive' }, 'Not run (no p0f database given to osfp dataset evaluate).')
      : h('div', { id: 'passive' }, renderGeneric(report.passive)),
  );
  // Reports written before learned databases have none.
  if (report.learnedPassive) {
    out.append(
      h('h3', {}, 'p0f database built from the training split vs the Nmap labels (test split)'),
      h('div', { id: 'learned-passive' }, renderGeneric(report.learnedPassive)),
    );
  }
  if (report.truth) out.append(renderTruth(report.truth));

  if (report.classesBelowMinSupport.length > 0) {
    out.append(
      h('h3', {}, `Classes below min support (${report.options.minSupport} rows): not trained on, not scored`),
      table(
        ['class', 'rows'],
        report.classesBelowMinSupport.map((c) => [c.label, c.support]),
      ),
    );
  }

  for (const [key, value] of Object.entries(report)) {
    if (KNOWN.has(key)) continue;
    out.append(h('section', { class: 'extra', 'data-key': key }, h('h3', {}, human(key)), renderGeneric(value)));
  }
  out.append(
    h(
      'details',
      {},
      h('summary', {}, 'Options and subject'),
      renderGeneric({ options: report.options, subject: report.subject }),
    ),
  );
  return out;
}
