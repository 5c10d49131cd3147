/** The evaluation report as a Markdown page a person reads (report.md). */
import type { EvaluationReport, PassiveResult } from './evaluate-rows.ts';
import type { ModelFigures } from './metrics.ts';
import type { PassiveFigures } from './passive-figures.ts';
import { renderTruthMarkdown, renderTruthSummary } from './report-truth-markdown.ts';

const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);
const cell = (s: string): string => s.replaceAll('|', '\\|');

/**
 * The few lines `osfp dataset show` prints under the manifest: the models'
 * and p0f's headline figures, and where the full report is.
 */
export function renderEvaluationSummary(report: EvaluationReport, reportPath: string): string {
  const out = [`evaluation (seed ${report.options.seed}, ${report.rows.test} test rows; full report: ${reportPath}):`];
  for (const m of report.models) {
    const f = m.figures;
    out.push(`  ${m.name.padEnd(14)} top-1 ${pct(f.top1)}, top-2 ${pct(f.top2)}, balanced ${pct(f.balancedAccuracy)}`);
  }
  for (const p of passives(report)) {
    const t = p.test;
    out.push(
      `  ${`${p.name} database`.padEnd(14)} agrees with Nmap on the class ${pct(t.classAgreement)}, on the OS family ${pct(
        t.familyAgreement,
      )} (matched ${pct(t.rows === 0 ? 0 : t.matched / t.rows)})${p.builtFrom === 'training-split' ? ', learned from the training split' : ''}`,
    );
  }
  if (report.truth) out.push(...renderTruthSummary(report.truth));
  if (report.classesBelowMinSupport.length > 0) {
    out.push(
      `  below min support (${report.options.minSupport}): ${report.classesBelowMinSupport.map((c) => `${c.label} (${c.support})`).join(', ')}`,
    );
  }
  return `${out.join('\n')}\n`;
}

export function renderReportMarkdown(report: EvaluationReport): string {
  const out: string[] = [];
  const subject = Object.entries(report.subject)
    .map(([k, v]) => `${k} ${v ?? '–'}`)
    .join(', ');
  out.push(`# Evaluation${subject === '' ? '' : ` of ${subject}`}`, '');
  const o = report.options;
  out.push(
    `Seed ${o.seed}; stratified split, ${pct(o.testFraction)} of each class held out; classes with fewer than ` +
      `${o.minSupport} labelled rows are listed, not trained on or scored.`,
    '',
  );
  const r = report.rows;
  out.push(
    `Rows: ${r.total} in the version, ${r.unlabelled} without a usable label, ${r.belowMinSupport} in classes below ` +
      `min support, ${r.evaluated} evaluated: ${r.train} train (${r.trainUsed} used), ${r.test} test.`,
    '',
  );

  out.push('## Models (test split)', '');
  out.push(
    "| model | top-1 | top-2 | balanced accuracy | top-1 in Nmap's top-2 | OS family |",
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const m of report.models) {
    const f = m.figures;
    out.push(
      `| ${m.name} | ${pct(f.top1)} | ${pct(f.top2)} | ${pct(f.balancedAccuracy)} | ${pct(f.top1InNmapTop2)} | ${pct(f.familyAccuracy)} |`,
    );
  }
  for (const p of passives(report)) {
    const t = p.test;
    out.push(`| ${title(p)} | ${pct(t.classAgreement)} | – | – | – | ${pct(t.familyAgreement)} |`);
  }
  out.push('');
  for (const m of report.models) out.push(`- **${m.name}**: ${m.description}`);
  out.push('');

  const forest = report.models.find((m) => m.name === 'random-forest') ?? report.models[report.models.length - 1];
  if (forest) {
    out.push(`## Per class (${forest.name}, test split)`, '');
    out.push('| class | rows | train | test | precision | recall |', '|---|---:|---:|---:|---:|---:|');
    const counts = new Map(report.classes.map((c) => [c.label, c]));
    for (const c of forest.figures.perClass) {
      const k = counts.get(c.label);
      out.push(
        `| ${cell(c.label)} | ${k?.support ?? 0} | ${k?.train ?? 0} | ${c.support} | ${pct(c.precision)} | ${pct(c.recall)} |`,
      );
    }
    out.push('');
    // Reports written before the confusion matrix was added have none.
    const confusion = forest.figures.confusion as ModelFigures['confusion'] | undefined;
    if (confusion) out.push(...renderConfusion(forest.name, confusion));
  }
  if (report.classesBelowMinSupport.length > 0) {
    out.push(`## Classes below min support (${o.minSupport} rows): not trained on, not scored`, '');
    out.push('| class | rows |', '|---|---:|');
    for (const c of report.classesBelowMinSupport) out.push(`| ${cell(c.label)} | ${c.support} |`);
    out.push('');
  }

  out.push('## Most informative features (permutation importance, random forest, test split, at most 5,000 rows)', '');
  out.push(
    'Features that carry the same information share the credit: shuffling one is made up for by the others, so 0 means',
    '"not needed beside the rest", not "useless".',
    '',
  );
  out.push('| feature | top-1 accuracy lost when shuffled |', '|---|---:|');
  for (const f of report.featureImportance) out.push(`| ${f.feature} | ${(f.importance * 100).toFixed(1)} points |`);
  out.push('');

  if (report.passive) out.push(...renderPassive(report.passive, forest?.figures.top1 ?? null));
  else out.push('## p0f baseline', '', 'Not run (no p0f database given).', '');
  if (report.learnedPassive) out.push(...renderPassive(report.learnedPassive, forest?.figures.top1 ?? null));
  if (report.truth) out.push(...renderTruthMarkdown(report.truth));
  return out.join('\n');
}

function renderConfusion(model: string, m: ModelFigures['confusion']): string[] {
  const out = [`## Confusion matrix (${model}, test split: rows are the Nmap class, columns the prediction)`, ''];
  out.push(`| class | ${m.labels.map(cell).join(' | ')} |`, `|---|${m.labels.map(() => '---:').join('|')}|`);
  m.labels.forEach((label, k) => out.push(`| ${cell(label)} | ${(m.counts[k] ?? []).join(' | ')} |`));
  out.push('');
  return out;
}

/** The databases judged, the given one first. */
function passives(report: EvaluationReport): PassiveResult[] {
  return [report.passive, report.learnedPassive].filter((p): p is PassiveResult => p !== null);
}

function title(p: PassiveResult): string {
  return p.builtFrom === 'training-split' ? `${p.name} database (built from the training split)` : `${p.name} database`;
}

function renderPassive(p: PassiveResult, forestTop1: number | null): string[] {
  const learned = p.builtFrom === 'training-split';
  const out = [
    `## ${title(p)}`,
    '',
    `Source: ${p.source}. Scored against: ${p.reference === 'nmap' ? "Nmap's label" : p.reference}.`,
    '',
  ];
  if (learned && forestTop1 !== null && forestTop1 > 0) {
    out.push(
      `On the test split it agrees with the class as often as ${pct(p.test.classAgreement / forestTop1)} of the random forest's top-1.`,
      '',
    );
  }
  out.push(
    '| rows | count | matched | exact / generic / fuzzy | agrees with class | agrees with OS family | class agreement when matched |',
  );
  out.push('|---|---:|---:|---|---:|---:|---:|');
  const line = (name: string, f: PassiveFigures) => {
    const q = f.byQuality;
    return `| ${name} | ${f.rows} | ${pct(f.matched / Math.max(1, f.rows))} | ${q['exact'] ?? 0} / ${q['generic'] ?? 0} / ${q['fuzzy'] ?? 0} | ${pct(
      f.classAgreement,
    )} | ${pct(f.familyAgreement)} | ${pct(f.matched === 0 ? null : f.classAgreementWhenMatched)} |`;
  };
  out.push(line('test split', p.test));
  if (p.labelled) out.push(line('all labelled', p.labelled));
  if (p.train) out.push(line('training split (built from these)', p.train));
  out.push('');
  out.push(
    `| ${p.name} said${learned ? ' (test split)' : ''} | rows | counts as dataset class | agreeing |`,
    '|---|---:|---|---:|',
  );
  for (const l of p.labels) {
    out.push(
      `| ${cell(l.label)} | ${l.rows} | ${l.classes.length === 0 ? '–' : cell(l.classes.join(', '))} | ${l.agreeing} |`,
    );
  }
  out.push('');
  return out;
}
