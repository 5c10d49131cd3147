/**
 * The evaluation itself, on rows already in memory: split, train the
 * baselines, score them, judge the passive database, and describe it all in a
 * report that depends only on the rows and the options (same seed, same
 * report: no clocks, no unseeded randomness, stable orders everywhere).
 */
import { majorityClassifier, randomForestClassifier, type Classifier } from './classifiers.ts';
import { EvaluationInputError } from './evaluation-error.ts';
import type { EvaluationRow } from './evaluation-row.ts';
import { evaluationSplit, hasUsableLabel, validateSplitOptions } from './evaluation-split.ts';
import { familyOfClass } from './family.ts';
import { fitFeatureEncoder } from './feature-encoding.ts';
import { modelFigures, type ModelFigures } from './metrics.ts';
import type { LearnedPassiveBaseline, PassiveBaseline, PassiveVerdict } from './passive-baseline.ts';
import { agreesOnClass, passiveFigures, type PassiveFigures } from './passive-figures.ts';
import { permutationImportance, type FeatureImportance } from './permutation-importance.ts';
import { NMAP_LABEL, type Reference } from './reference.ts';
import { stratifiedSubsample } from './stratified-split.ts';
import type { GroundTruth } from './ground-truth.ts';
import { truthTables, type TruthReport } from './truth-tables.ts';

/** Version 2 added the learned database (`learnedPassive`, `learned_*` predictions) and `builtFrom`/`reference`. */
export const REPORT_FORMAT = 'osfp-evaluation-2';

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
  /** A database to build from the training split and judge on the test split (osfp's learned p0f database), if any. */
  readonly learnedPassive: LearnedPassiveBaseline | null;
  /** What each address truly runs (`--truth`): adds the tables against it to the report. */
  readonly truth?: GroundTruth | null;
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
  learnedPassive: null,
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
  /** `given`: judged as is; `training-split`: built from the training rows, so only the test split is a fair score. */
  readonly builtFrom: 'given' | 'training-split';
  /** What its verdicts are scored against (`nmap`: the row's Nmap label). */
  readonly reference: string;
  /** On the same test rows as the models. */
  readonly test: PassiveFigures;
  /** A given database, on every labelled row (it never saw them, so all of them are fair). */
  readonly labelled: PassiveFigures | null;
  /** A learned database, on the rows it was built from: how faithfully it keeps them, not how it generalises. */
  readonly train: PassiveFigures | null;
  /** What the database said (on `labelled` for a given one, on the test split for a learned one), most frequent first. */
  readonly labels: readonly { label: string; rows: number; classes: readonly string[]; agreeing: number }[];
}

export interface EvaluationReport {
  readonly format: typeof REPORT_FORMAT;
  readonly subject: Readonly<Record<string, string | number | null>>;
  readonly options: Omit<EvaluateOptions, 'passive' | 'learnedPassive' | 'truth'>;
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
  /** The given database (p0f's), if one was judged. */
  readonly passive: PassiveResult | null;
  /** The database learned from the training split, if one was built. */
  readonly learnedPassive: PassiveResult | null;
  /** Nmap, the models and the databases against the ground truth, when one was given (absent in older reports). */
  readonly truth?: TruthReport | null;
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
  /** The learned database's verdict (it learned from the `train` rows: judge it on `test` rows). */
  readonly learned_label: string | null;
  readonly learned_quality: string;
  readonly learned_agrees: boolean | null;
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
  const usable = hasUsableLabel;
  const split = evaluationSplit(rows, options);
  const { labelled, supportByClass, classes, rare, evaluated, test } = split;
  const trainAll = split.train;
  const labelOf = (i: number) => rows[i]?.label ?? '';
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
  const rankedClasses: { name: string; ranked: string[][] }[] = [];
  for (const model of models) {
    model.fit(xTrain, yTrain, classes);
    const ranked = model.rank(xTest);
    if (model.name === 'random-forest') forestRanking = ranked;
    if (options.truth)
      rankedClasses.push({ name: model.name, ranked: ranked.map((r) => r.map((c) => classes[c] ?? '')) });
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

  const verdictsOf = (baseline: PassiveBaseline | null) =>
    baseline ? rows.map((r) => baseline.judge(r)) : rows.map(() => undefined);
  const verdicts = verdictsOf(options.passive);
  const passive = options.passive
    ? passiveResult(options.passive, 'given', rows, verdicts, NMAP_LABEL, { test, labelled, over: labelled })
    : null;
  const learned = options.learnedPassive?.learn(trainAll.map((i) => rows[i] as EvaluationRow)) ?? null;
  const learnedVerdicts = verdictsOf(learned);
  const learnedPassive = learned
    ? passiveResult(learned, 'training-split', rows, learnedVerdicts, NMAP_LABEL, { test, train: trainAll, over: test })
    : null;

  const role = new Map<number, RowRole>();
  for (const i of labelled) role.set(i, 'below-min-support');
  for (const i of trainAll) role.set(i, 'train-unused');
  for (const i of trainUsed) role.set(i, 'train');
  for (const i of test) role.set(i, 'test');
  const testPosition = new Map(test.map((i, k) => [i, k]));
  const predictions = rows.map((r, i): RowPrediction => {
    const verdict = verdicts[i];
    const learnedVerdict = learnedVerdicts[i];
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
      learned_label: learnedVerdict?.kind === 'match' ? learnedVerdict.label : null,
      learned_quality:
        learnedVerdict === undefined
          ? 'not-run'
          : learnedVerdict.kind === 'match'
            ? learnedVerdict.quality
            : learnedVerdict.kind,
      learned_agrees: learnedVerdict === undefined || !usable(r) ? null : agreesOnClass(r.label ?? '', learnedVerdict),
      model_top1: ranking?.[0] === undefined ? null : (classes[ranking[0]] ?? null),
      model_top2: ranking?.[1] === undefined ? null : (classes[ranking[1]] ?? null),
    };
  });

  const truth = options.truth
    ? truthTables({
        rows,
        truth: options.truth,
        versionTaxonomy: typeof subject['taxonomyVersion'] === 'string' ? subject['taxonomyVersion'] : null,
        test,
        models: rankedClasses,
        passive: [
          ...(passive ? [{ name: passive.name, builtFrom: 'given' as const, verdicts }] : []),
          ...(learnedPassive
            ? [{ name: learnedPassive.name, builtFrom: 'training-split' as const, verdicts: learnedVerdicts }]
            : []),
        ],
      })
    : null;

  const { passive: _omit, learnedPassive: _omitToo, truth: _omitTruth, ...reportOptions } = options;
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
    learnedPassive,
    ...(truth ? { truth } : {}),
  };
  return { report, predictions };
}

/**
 * A database's figures against one reference: on the test split always; on
 * every labelled row for a given database, on the training rows for a learned
 * one; and the labels it said over `over`.
 */
function passiveResult(
  baseline: PassiveBaseline,
  builtFrom: PassiveResult['builtFrom'],
  rows: readonly EvaluationRow[],
  verdicts: readonly (PassiveVerdict | undefined)[],
  reference: Reference,
  sets: { test: readonly number[]; labelled?: readonly number[]; train?: readonly number[]; over: readonly number[] },
): PassiveResult {
  const scored = (indexes: readonly number[]) =>
    indexes.flatMap((i) => {
      const label = reference.classOf(rows[i] as EvaluationRow);
      return label === null ? [] : [{ label, verdict: verdicts[i] ?? { kind: 'none' as const } }];
    });
  const byLabel = new Map<string, { rows: number; classes: readonly string[]; agreeing: number }>();
  for (const { label, verdict } of scored(sets.over)) {
    const key =
      verdict.kind === 'match'
        ? verdict.label
        : verdict.kind === 'unreadable'
          ? '(unreadable signature)'
          : '(no match)';
    const entry = byLabel.get(key) ?? {
      rows: 0,
      classes: verdict.kind === 'match' ? verdict.classes : [],
      agreeing: 0,
    };
    entry.rows++;
    if (agreesOnClass(label, verdict)) entry.agreeing++;
    byLabel.set(key, entry);
  }
  return {
    name: baseline.name,
    source: baseline.source,
    builtFrom,
    reference: reference.name,
    test: passiveFigures(scored(sets.test)),
    labelled: sets.labelled ? passiveFigures(scored(sets.labelled)) : null,
    train: sets.train ? passiveFigures(scored(sets.train)) : null,
    labels: [...byLabel.entries()]
      .map(([label, e]) => ({ label, ...e }))
      .sort((a, b) => b.rows - a.rows || a.label.localeCompare(b.label)),
  };
}

function validateOptions(o: EvaluateOptions): void {
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new EvaluationInputError(what);
  };
  validateSplitOptions(o);
  check(Number.isInteger(o.trees) && o.trees >= 1, `--trees must be a positive integer, got ${o.trees}`);
  check(Number.isInteger(o.maxDepth) && o.maxDepth >= 1, `--max-depth must be a positive integer, got ${o.maxDepth}`);
  check(
    Number.isInteger(o.maxTrainRows) && o.maxTrainRows >= 2,
    `--max-train-rows must be an integer >= 2, got ${o.maxTrainRows}`,
  );
  check(Number.isInteger(o.importanceRepeats) && o.importanceRepeats >= 1, `importance repeats must be >= 1`);
}
