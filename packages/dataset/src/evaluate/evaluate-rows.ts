/**
 * The evaluation itself, on rows already in memory: split, train the
 * baselines, score them, judge the passive database, and describe it all in a
 * report that depends only on the rows and the options (same seed, same
 * report: no clocks, no unseeded randomness, stable orders everywhere).
 */
import { majorityClassifier, randomForestClassifier, type Classifier } from './classifiers.ts';
import { EvaluationInputError } from './evaluation-error.ts';
import type { EvaluationRow } from './evaluation-row.ts';
import { familyOfClass } from './family.ts';
import { fitFeatureEncoder } from './feature-encoding.ts';
import { modelFigures, type ModelFigures } from './metrics.ts';
import type { PassiveBaseline, PassiveVerdict } from './passive-baseline.ts';
import { agreesOnClass, passiveFigures, type PassiveFigures } from './passive-figures.ts';
import { permutationImportance, type FeatureImportance } from './permutation-importance.ts';
import { stratifiedSplit, stratifiedSubsample } from './stratified-split.ts';

export const REPORT_FORMAT = 'osfp-evaluation-1';

/** Test rows used for permutation importance (a stratified sample beyond this). */
export const IMPORTANCE_MAX_ROWS = 5_000;

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

export interface Evaluation {
  readonly report: EvaluationReport;
  readonly predictions: readonly RowPrediction[];
}

export function evaluateRows(
  rows: readonly EvaluationRow[],
  options: EvaluateOptions,
  subject: Readonly<Record<string, string | number | null>> = {},
): Evaluation {
  validateOptions(options);
  const usable = (r: EvaluationRow) => r.label_status === 'ok' && r.label !== null && r.label !== '';
  const labelled = rows.flatMap((r, i) => (usable(r) ? [i] : []));
  const labelOf = (i: number) => rows[i]?.label ?? '';

  const supportByClass = new Map<string, number>();
  for (const i of labelled) supportByClass.set(labelOf(i), (supportByClass.get(labelOf(i)) ?? 0) + 1);
  const allClasses = [...supportByClass.keys()].sort();
  if (labelled.length === 0) {
    throw new EvaluationInputError(
      `nothing to evaluate: none of the ${rows.length} rows has a label (label_status ok)`,
    );
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

  const evaluated = labelled.filter((i) => classes.includes(labelOf(i)));
  const split = stratifiedSplit(evaluated.map(labelOf), options.testFraction, options.seed);
  const trainAll = split.train.map((k) => evaluated[k] ?? 0);
  const test = split.test.map((k) => evaluated[k] ?? 0);
  const labels = rows.map((r) => r.label ?? '');
  const trainUsed = stratifiedSubsample(trainAll, labels, options.maxTrainRows, options.seed);

  const encoder = fitFeatureEncoder(trainUsed.map((i) => rows[i] as EvaluationRow));
  const classIndex = new Map(classes.map((c, k) => [c, k]));
  const xTrain = trainUsed.map((i) => encoder.encode(rows[i] as EvaluationRow));
  const yTrain = trainUsed.map((i) => classIndex.get(labelOf(i)) ?? 0);
  const xTest = test.map((i) => encoder.encode(rows[i] as EvaluationRow));
  const yTest = test.map((i) => classIndex.get(labelOf(i)) ?? 0);

  const models: Classifier[] = [
    majorityClassifier(),
    randomForestClassifier({ trees: options.trees, seed: options.seed, maxDepth: options.maxDepth }),
  ];
  const results: ModelResult[] = [];
  let forestRanking: number[][] = [];
  for (const model of models) {
    model.fit(xTrain, yTrain, classes);
    const ranked = model.rank(xTest);
    if (model.name === 'random-forest') forestRanking = ranked;
    const scored = test.map((i, k) => ({
      label: labelOf(i),
      label2: rows[i]?.label_2 ?? null,
      ranked: (ranked[k] ?? []).map((c) => classes[c] ?? ''),
    }));
    results.push({
      name: model.name,
      description: model.description,
      figures: modelFigures(scored, classes, familyOfClass),
    });
  }
  const forest = models[1] as Classifier;
  // Every feature is re-scored `importanceRepeats` times: a capped, stratified share of the test rows is enough.
  const importanceRows = new Set(stratifiedSubsample(test, labels, IMPORTANCE_MAX_ROWS, options.seed));
  const importanceAt = test.flatMap((i, k) => (importanceRows.has(i) ? [k] : []));
  const featureImportance = permutationImportance(
    forest,
    importanceAt.map((k) => xTest[k] as number[]),
    importanceAt.map((k) => yTest[k] as number),
    encoder.featureNames,
    {
      seed: options.seed,
      repeats: options.importanceRepeats,
    },
  );

  const verdicts = new Map<number, PassiveVerdict>();
  if (options.passive) {
    rows.forEach((r, i) => verdicts.set(i, (options.passive as PassiveBaseline).judge(r)));
  }
  const passive = options.passive ? passiveResult(options.passive, rows, labelled, test, verdicts) : null;

  const role = new Map<number, RowRole>();
  for (const i of labelled) role.set(i, 'below-min-support');
  for (const i of trainAll) role.set(i, 'train-unused');
  for (const i of trainUsed) role.set(i, 'train');
  for (const i of test) role.set(i, 'test');
  const testPosition = new Map(test.map((i, k) => [i, k]));
  const predictions = rows.map((r, i): RowPrediction => {
    const verdict = verdicts.get(i);
    const k = testPosition.get(i);
    const ranking = k === undefined ? undefined : forestRanking[k];
    return {
      ip: r.ip,
      port: r.port,
      label: usable(r) ? r.label : null,
      role: role.get(i) ?? 'unlabelled',
      p0f_label: verdict?.kind === 'match' ? verdict.label : null,
      p0f_quality: verdict === undefined ? 'not-run' : verdict.kind === 'match' ? verdict.quality : verdict.kind,
      p0f_agrees: verdict === undefined || !usable(r) ? null : agreesOnClass(r.label ?? '', verdict),
      model_top1: ranking?.[0] === undefined ? null : (classes[ranking[0]] ?? null),
      model_top2: ranking?.[1] === undefined ? null : (classes[ranking[1]] ?? null),
    };
  });

  const { passive: _omit, ...reportOptions } = options;
  const count = (list: readonly number[], cls: string) => list.reduce((n, i) => n + (labelOf(i) === cls ? 1 : 0), 0);
  const report: EvaluationReport = {
    format: REPORT_FORMAT,
    subject,
    options: reportOptions,
    rows: {
      total: rows.length,
      unlabelled: rows.length - labelled.length,
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

function passiveResult(
  baseline: PassiveBaseline,
  rows: readonly EvaluationRow[],
  labelled: readonly number[],
  test: readonly number[],
  verdicts: ReadonlyMap<number, PassiveVerdict>,
): PassiveResult {
  const judged = (indexes: readonly number[]) =>
    indexes.map((i) => ({ label: rows[i]?.label ?? '', verdict: verdicts.get(i) ?? { kind: 'none' as const } }));
  const byLabel = new Map<string, { rows: number; classes: readonly string[]; agreeing: number }>();
  for (const i of labelled) {
    const verdict = verdicts.get(i);
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
    if (verdict && agreesOnClass(rows[i]?.label ?? '', verdict)) entry.agreeing++;
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
