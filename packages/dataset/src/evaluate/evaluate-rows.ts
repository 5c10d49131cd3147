/**
 * The evaluation itself, on rows already in memory: split, train the
 * baselines, score them, judge the passive database, and describe it all in a
 * report that depends only on the rows and the options (same seed, same
 * report: no clocks, no unseeded randomness, stable orders everywhere).
 */
import { majorityClassifier, randomForestClassifier, type Classifier } from './classifiers.ts';
import { EvaluationInputError } from './evaluation-error.ts';
import type { EvaluationRow, EvaluationRows } from './evaluation-row.ts';
import { familyOfClass } from './family.ts';
import { fitFeatureEncoder } from './feature-encoding.ts';
import { modelFigures, type ModelFigures, type ScoredRow } from './metrics.ts';
import type { PassiveBaseline, PassiveVerdict } from './passive-baseline.ts';
import { agreesOnClass, passiveFigures, type PassiveFigures } from './passive-figures.ts';
import { permutationImportance, type FeatureImportance } from './permutation-importance.ts';
import { stratifiedSplit, stratifiedSubsample } from './stratified-split.ts';

export const REPORT_FORMAT = 'osfp-evaluation-1';

/** Test rows used for permutation importance (a stratified sample beyond this). */
export const IMPORTANCE_MAX_ROWS = 5_000;
/** Test rows encoded and ranked at a time. */
const SCORE_CHUNK_ROWS = 8_192;

export interface EvaluateOptions {
  readonly seed: number;
  /** Share of each class held out for testing. */
  readonly testFraction: number;
  /** Classes with fewer labelled rows are listed in the report, not trained on or scored. */
  readonly minSupport: number;
  readonly trees: number;
  readonly maxDepth: number;
  /** Training rows beyond this are subsampled (stratified, seeded) to bound training time. */
  readonly maxTrainRows: number;
  readonly importanceRepeats: number;
  /** The hand-written database to judge beside the models (p0f), if any. */
  readonly passive: PassiveBaseline | null;
}

export const DEFAULT_EVALUATE_OPTIONS: EvaluateOptions = {
  seed: 1,
  testFraction: 0.25,
  minSupport: 5,
  trees: 30,
  maxDepth: 20,
  // Measured here (whole evaluation, 4 classes): 10,000 rows in 10 s, 40,000 in 65 s, 200,000 in 112 s.
  maxTrainRows: 20_000,
  importanceRepeats: 2,
  passive: null,
};

export interface ClassCount {
  readonly label: string;
  readonly support: number;
}

export interface EvaluatedClass extends ClassCount {
  readonly train: number;
  readonly test: number;
}

export interface ModelResult {
  readonly name: string;
  readonly description: string;
  readonly figures: ModelFigures;
}

export interface PassiveResult {
  readonly name: string;
  readonly source: string;
  /** On the same test rows as the models. */
  readonly test: PassiveFigures;
  /** On every labelled row (the database is not trained, so it can be judged on all of them). */
  readonly labelled: PassiveFigures;
  /** What the database said, most frequent first, with the Nmap labels it met. */
  readonly labels: readonly { label: string; rows: number; classes: readonly string[]; agreeing: number }[];
}

export interface EvaluationReport {
  readonly format: typeof REPORT_FORMAT;
  readonly subject: Readonly<Record<string, string | number | null>>;
  readonly options: Omit<EvaluateOptions, 'passive'>;
  readonly rows: {
    readonly total: number;
    /** Rows without a usable label (label_status not ok, or no label): never trained on or scored. */
    readonly unlabelled: number;
    readonly belowMinSupport: number;
    readonly evaluated: number;
    readonly train: number;
    /** Training rows actually used (after --max-train-rows). */
    readonly trainUsed: number;
    readonly test: number;
  };
  readonly classes: readonly EvaluatedClass[];
  readonly classesBelowMinSupport: readonly ClassCount[];
  readonly features: readonly string[];
  readonly models: readonly ModelResult[];
  /** Random forest's permutation importance on the test split. */
  readonly featureImportance: readonly FeatureImportance[];
  readonly passive: PassiveResult | null;
}

export type RowRole = 'train' | 'train-unused' | 'test' | 'below-min-support' | 'unlabelled';

/** One row's outcome, for the per-row predictions file. */
export interface RowPrediction {
  readonly ip: string;
  readonly port: number;
  readonly label: string | null;
  readonly role: RowRole;
  readonly p0f_label: string | null;
  readonly p0f_quality: string;
  readonly p0f_agrees: boolean | null;
  readonly model_top1: string | null;
  readonly model_top2: string | null;
}

/**
 * One prediction per row, in row order, built as it is read: at a million
 * rows an array of them held ~200 MB.
 */
export interface Predictions extends Iterable<RowPrediction> {
  readonly length: number;
}

export interface Evaluation {
  readonly report: EvaluationReport;
  readonly predictions: Predictions;
}

const ROLES: readonly RowRole[] = ['unlabelled', 'below-min-support', 'train-unused', 'train', 'test'];

/**
 * Runs the evaluation. Holds per row only a few numbers (its role, its p0f
 * verdict, its model ranking when tested) beside the rows themselves, and
 * the features of the training and test rows.
 */
export function evaluateRows(
  rows: EvaluationRows,
  options: EvaluateOptions,
  subject: Readonly<Record<string, string | number | null>> = {},
): Evaluation {
  validateOptions(options);
  const n = rows.length;
  const rowAt = (i: number) => rows.at(i) as EvaluationRow;
  const usable = (r: EvaluationRow) => r.label_status === 'ok' && r.label !== null && r.label !== '';
  // Every row's label (shared strings) and usability, read once.
  const labels: string[] = new Array<string>(n);
  const labelled: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = rowAt(i);
    labels[i] = r.label ?? '';
    if (usable(r)) labelled.push(i);
  }
  const labelOf = (i: number) => labels[i] ?? '';

  const supportByClass = new Map<string, number>();
  for (const i of labelled) supportByClass.set(labelOf(i), (supportByClass.get(labelOf(i)) ?? 0) + 1);
  const allClasses = [...supportByClass.keys()].sort();
  if (labelled.length === 0) {
    throw new EvaluationInputError(`nothing to evaluate: none of the ${n} rows has a label (label_status ok)`);
  }
  if (allClasses.length < 2) {
    throw new EvaluationInputError(
      `cannot evaluate a dataset with a single class ("${allClasses[0]}", ${labelled.length} rows): a classifier needs at least two classes; collect more varied targets`,
    );
  }
  const rare = allClasses.filter((c) => (supportByClass.get(c) ?? 0) < options.minSupport);
  const classes = allClasses.filter((c) => !rare.includes(c));
  if (classes.length < 2) {
    throw new EvaluationInputError(
      `only ${classes.length} class(es) have at least --min-support ${options.minSupport} rows (${allClasses
        .map((c) => `${c}: ${supportByClass.get(c)}`)
        .join(', ')}); lower --min-support or collect more rows`,
    );
  }

  const evaluatedClass = new Set(classes);
  const evaluated = labelled.filter((i) => evaluatedClass.has(labelOf(i)));
  const split = stratifiedSplit(evaluated.map(labelOf), options.testFraction, options.seed);
  const trainAll = split.train.map((k) => evaluated[k] ?? 0);
  const test = split.test.map((k) => evaluated[k] ?? 0);
  const trainUsed = stratifiedSubsample(trainAll, labels, options.maxTrainRows, options.seed);

  const encoder = fitFeatureEncoder(trainUsed.map(rowAt));
  const classIndex = new Map(classes.map((c, k) => [c, k]));
  const xTrain = trainUsed.map((i) => encoder.encode(rowAt(i)));
  const yTrain = trainUsed.map((i) => classIndex.get(labelOf(i)) ?? 0);

  const models: Classifier[] = [
    majorityClassifier(),
    randomForestClassifier({ trees: options.trees, seed: options.seed, maxDepth: options.maxDepth }),
  ];
  const results: ModelResult[] = [];
  // The forest's first two classes per test row: all the report and the predictions use of its ranking.
  const forestTop = [new Int16Array(test.length).fill(-1), new Int16Array(test.length).fill(-1)] as const;
  for (const model of models) {
    model.fit(xTrain, yTrain, classes);
    // A chunk of test rows at a time (a row's ranking depends on it alone): a quarter of a million rows'
    // features and rankings at once took most of a gigabyte.
    const scored: ScoredRow[] = [];
    for (let from = 0; from < test.length; from += SCORE_CHUNK_ROWS) {
      const chunk = test.slice(from, from + SCORE_CHUNK_ROWS);
      const ranked = model.rank(chunk.map((i) => encoder.encode(rowAt(i))));
      chunk.forEach((i, j) => {
        const top = (ranked[j] ?? []).slice(0, 2);
        if (model.name === 'random-forest') {
          forestTop[0][from + j] = top[0] ?? -1;
          forestTop[1][from + j] = top[1] ?? -1;
        }
        scored.push({ label: labelOf(i), label2: rowAt(i).label_2, ranked: top.map((c) => classes[c] ?? '') });
      });
    }
    results.push({
      name: model.name,
      description: model.description,
      figures: modelFigures(scored, classes, familyOfClass),
    });
  }
  const forest = models[1] as Classifier;
  // Every feature is re-scored `importanceRepeats` times: a capped, stratified share of the test rows is enough.
  const importanceRows = stratifiedSubsample(test, labels, IMPORTANCE_MAX_ROWS, options.seed);
  const featureImportance = permutationImportance(
    forest,
    importanceRows.map((i) => encoder.encode(rowAt(i))),
    importanceRows.map((i) => classIndex.get(labelOf(i)) ?? 0),
    encoder.featureNames,
    {
      seed: options.seed,
      repeats: options.importanceRepeats,
    },
  );

  const verdicts = options.passive ? judgeAll(options.passive, rows) : null;
  const passive =
    options.passive && verdicts ? passiveResult(options.passive, labelOf, labelled, test, verdicts) : null;

  const role = new Uint8Array(n); // ROLES[0]: unlabelled
  const roleCode = (r: RowRole) => ROLES.indexOf(r);
  for (const i of labelled) role[i] = roleCode('below-min-support');
  for (const i of trainAll) role[i] = roleCode('train-unused');
  for (const i of trainUsed) role[i] = roleCode('train');
  for (const i of test) role[i] = roleCode('test');
  const testPosition = new Int32Array(n).fill(-1);
  test.forEach((i, k) => (testPosition[i] = k));
  const predictionAt = (i: number): RowPrediction => {
    const r = rowAt(i);
    const verdict = verdicts?.of(i);
    const k = testPosition[i] ?? -1;
    const top = (j: 0 | 1) => (k < 0 ? null : (classes[forestTop[j][k] ?? -1] ?? null));
    return {
      ip: r.ip,
      port: r.port,
      label: usable(r) ? r.label : null,
      role: ROLES[role[i] ?? 0] ?? 'unlabelled',
      p0f_label: verdict?.kind === 'match' ? verdict.label : null,
      p0f_quality: verdict === undefined ? 'not-run' : verdict.kind === 'match' ? verdict.quality : verdict.kind,
      p0f_agrees: verdict === undefined || !usable(r) ? null : agreesOnClass(r.label ?? '', verdict),
      model_top1: top(0),
      model_top2: top(1),
    };
  };
  const predictions: Predictions = {
    length: n,
    *[Symbol.iterator]() {
      for (let i = 0; i < n; i++) yield predictionAt(i);
    },
  };

  const { passive: _omit, ...reportOptions } = options;
  const count = (list: readonly number[], cls: string) => list.reduce((m, i) => m + (labelOf(i) === cls ? 1 : 0), 0);
  const report: EvaluationReport = {
    format: REPORT_FORMAT,
    subject,
    options: reportOptions,
    rows: {
      total: n,
      unlabelled: n - labelled.length,
      belowMinSupport: labelled.length - evaluated.length,
      evaluated: evaluated.length,
      train: trainAll.length,
      trainUsed: trainUsed.length,
      test: test.length,
    },
    classes: classes.map((label) => ({
      label,
      support: supportByClass.get(label) ?? 0,
      train: count(trainAll, label),
      test: count(test, label),
    })),
    classesBelowMinSupport: rare.map((label) => ({ label, support: supportByClass.get(label) ?? 0 })),
    features: encoder.featureNames,
    models: results,
    featureImportance,
    passive,
  };
  return { report, predictions };
}

/** Every row's verdict. */
interface Verdicts {
  of(i: number): PassiveVerdict | undefined;
}

/**
 * Judges every row, once per distinct (p0f_sig, tcp_window): all a verdict
 * depends on (PassiveBaseline.judge). A dataset repeats a few thousand
 * signatures over a million rows, so this is also what keeps it fast.
 */
function judgeAll(baseline: PassiveBaseline, rows: EvaluationRows): Verdicts {
  const ids = new Int32Array(rows.length);
  const found: PassiveVerdict[] = [];
  const byKey = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const r = rows.at(i) as EvaluationRow;
    const key = `${r.tcp_window}\u0000${r.p0f_sig}`;
    let id = byKey.get(key);
    if (id === undefined) {
      id = found.length;
      found.push(baseline.judge(r));
      byKey.set(key, id);
    }
    ids[i] = id;
  }
  return { of: (i) => found[ids[i] ?? -1] };
}

function passiveResult(
  baseline: PassiveBaseline,
  labelOf: (i: number) => string,
  labelled: readonly number[],
  test: readonly number[],
  verdicts: Verdicts,
): PassiveResult {
  const judged = (indexes: readonly number[]) =>
    indexes.map((i) => ({ label: labelOf(i), verdict: verdicts.of(i) ?? { kind: 'none' as const } }));
  const byLabel = new Map<string, { rows: number; classes: readonly string[]; agreeing: number }>();
  for (const i of labelled) {
    const verdict = verdicts.of(i);
    const key =
      verdict?.kind === 'match'
        ? verdict.label
        : verdict?.kind === 'unreadable'
          ? '(unreadable signature)'
          : '(no match)';
    const entry = byLabel.get(key) ?? {
      rows: 0,
      classes: verdict?.kind === 'match' ? verdict.classes : [],
      agreeing: 0,
    };
    entry.rows++;
    if (verdict && agreesOnClass(labelOf(i), verdict)) entry.agreeing++;
    byLabel.set(key, entry);
  }
  return {
    name: baseline.name,
    source: baseline.source,
    test: passiveFigures(judged(test)),
    labelled: passiveFigures(judged(labelled)),
    labels: [...byLabel.entries()]
      .map(([label, e]) => ({ label, ...e }))
      .sort((a, b) => b.rows - a.rows || a.label.localeCompare(b.label)),
  };
}

function validateOptions(o: EvaluateOptions): void {
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new EvaluationInputError(what);
  };
  check(Number.isInteger(o.seed), `--seed must be an integer, got ${o.seed}`);
  check(o.testFraction > 0 && o.testFraction < 1, `--test-fraction must be between 0 and 1, got ${o.testFraction}`);
  check(
    Number.isInteger(o.minSupport) && o.minSupport >= 2,
    `--min-support must be an integer >= 2, got ${o.minSupport}`,
  );
  check(Number.isInteger(o.trees) && o.trees >= 1, `--trees must be a positive integer, got ${o.trees}`);
  check(Number.isInteger(o.maxDepth) && o.maxDepth >= 1, `--max-depth must be a positive integer, got ${o.maxDepth}`);
  check(
    Number.isInteger(o.maxTrainRows) && o.maxTrainRows >= 2,
    `--max-train-rows must be an integer >= 2, got ${o.maxTrainRows}`,
  );
  check(Number.isInteger(o.importanceRepeats) && o.importanceRepeats >= 1, `importance repeats must be >= 1`);
}
