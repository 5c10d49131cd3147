/**
 * The evaluation itself, on rows already in memory: split, train the
 * baselines, score them, judge the passive database, and describe it all in a
 * report that depends only on the rows and the options (same seed, same
 * report: no clocks, no unseeded randomness, stable orders everywhere).
 */
import { majorityClassifier, randomForestClassifier, type Classifier } from './classifiers.ts';
import { EvaluationInputError } from './evaluation-error.ts';
import type { EvaluationRow, EvaluationRows } from './evaluation-row.ts';
import { evaluationSplit, hasUsableLabel, validateSplitOptions } from './evaluation-split.ts';
import { familyOfClass } from './family.ts';
import { fitFeatureEncoder } from './feature-encoding.ts';
import { modelFigures, type ModelFigures, type ScoredRow } from './metrics.ts';
import type { LearnedPassiveBaseline, PassiveBaseline, PassiveVerdict, TrainingRows } from './passive-baseline.ts';
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
 * Runs the evaluation. Holds per row only a few numbers (its role, the
 * databases' verdicts, the models' first two classes when tested) beside the
 * rows themselves, and the features of the training and test rows.
 */
export function evaluateRows(
  rows: EvaluationRows,
  options: EvaluateOptions,
  subject: Readonly<Record<string, string | number | null>> = {},
): Evaluation {
  validateOptions(options);
  const n = rows.length;
  const rowAt = (i: number) => rows.at(i) as EvaluationRow;
  const usable = hasUsableLabel;
  // The split reads every row once and keeps its label (shared strings).
  const split = evaluationSplit(rows, options);
  const { labels, labelled, supportByClass, classes, rare, evaluated, test } = split;
  const trainAll = split.train;
  const labelOf = (i: number) => labels[i] ?? '';
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
  // A model's first two classes per test row (class indexes, -1: none): all the report, the predictions
  // and the truth tables use of a ranking. Kept for the forest, and for every model when there is a truth.
  const tops = new Map<string, TopTwo>();
  for (const model of models) {
    model.fit(xTrain, yTrain, classes);
    const top2 = model.name === 'random-forest' || options.truth ? topTwo(test.length) : null;
    // A chunk of test rows at a time (a row's ranking depends on it alone): a quarter of a million rows'
    // features and rankings at once took most of a gigabyte.
    const scored: ScoredRow[] = [];
    for (let from = 0; from < test.length; from += SCORE_CHUNK_ROWS) {
      const chunk = test.slice(from, from + SCORE_CHUNK_ROWS);
      const ranked = model.rank(chunk.map((i) => encoder.encode(rowAt(i))));
      chunk.forEach((i, j) => {
        const top = (ranked[j] ?? []).slice(0, 2);
        if (top2) {
          top2[0][from + j] = top[0] ?? -1;
          top2[1][from + j] = top[1] ?? -1;
        }
        scored.push({ label: labelOf(i), label2: rowAt(i).label_2, ranked: top.map((c) => classes[c] ?? '') });
      });
    }
    if (top2) tops.set(model.name, top2);
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
    options.passive && verdicts
      ? passiveResult(options.passive, 'given', rowAt, verdicts, NMAP_LABEL, { test, labelled, over: labelled })
      : null;
  const learned = options.learnedPassive?.learn(rowsAt(rows, trainAll)) ?? null;
  const learnedVerdicts = learned ? judgeAll(learned, rows) : null;
  const learnedPassive =
    learned && learnedVerdicts
      ? passiveResult(learned, 'training-split', rowAt, learnedVerdicts, NMAP_LABEL, {
          test,
          train: trainAll,
          over: test,
        })
      : null;

  const role = new Uint8Array(n); // ROLES[0]: unlabelled
  const roleCode = (r: RowRole) => ROLES.indexOf(r);
  for (const i of labelled) role[i] = roleCode('below-min-support');
  for (const i of trainAll) role[i] = roleCode('train-unused');
  for (const i of trainUsed) role[i] = roleCode('train');
  for (const i of test) role[i] = roleCode('test');
  const testPosition = new Int32Array(n).fill(-1);
  test.forEach((i, k) => (testPosition[i] = k));
  const forestTop = tops.get('random-forest') ?? topTwo(test.length);
  const predictionAt = (i: number): RowPrediction => {
    const r = rowAt(i);
    const verdict = verdicts?.of(i);
    const learnedVerdict = learnedVerdicts?.of(i);
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
      learned_label: learnedVerdict?.kind === 'match' ? learnedVerdict.label : null,
      learned_quality:
        learnedVerdict === undefined
          ? 'not-run'
          : learnedVerdict.kind === 'match'
            ? learnedVerdict.quality
            : learnedVerdict.kind,
      learned_agrees: learnedVerdict === undefined || !usable(r) ? null : agreesOnClass(r.label ?? '', learnedVerdict),
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

  const truth = options.truth
    ? truthTables({
        rows,
        truth: options.truth,
        versionTaxonomy: typeof subject['taxonomyVersion'] === 'string' ? subject['taxonomyVersion'] : null,
        test,
        models: models.map((m) => {
          const top2 = tops.get(m.name) as TopTwo;
          return {
            name: m.name,
            ranked: (k: number) =>
              [top2[0][k] ?? -1, top2[1][k] ?? -1].flatMap((c) => (c < 0 ? [] : [classes[c] ?? ''])),
          };
        }),
        passive: [
          ...(passive && verdicts ? [{ name: passive.name, builtFrom: 'given' as const, verdictOf: verdicts.of }] : []),
          ...(learnedPassive && learnedVerdicts
            ? [{ name: learnedPassive.name, builtFrom: 'training-split' as const, verdictOf: learnedVerdicts.of }]
            : []),
        ],
      })
    : null;

  const { passive: _omit, learnedPassive: _omitToo, truth: _omitTruth, ...reportOptions } = options;
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
    learnedPassive,
    ...(truth ? { truth } : {}),
  };
  return { report, predictions };
}

/** A model's first two classes per test row (class indexes; -1: none). */
type TopTwo = readonly [Int16Array, Int16Array];

const topTwo = (length: number): TopTwo => [new Int16Array(length).fill(-1), new Int16Array(length).fill(-1)];

/** Some rows by index, each built when it is reached (a learned database reads its training rows this way). */
function rowsAt(rows: EvaluationRows, indexes: readonly number[]): TrainingRows {
  return {
    length: indexes.length,
    *[Symbol.iterator]() {
      for (const i of indexes) yield rows.at(i) as EvaluationRow;
    },
  };
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

/**
 * A database's figures against one reference: on the test split always; on
 * every labelled row for a given database, on the training rows for a learned
 * one; and the labels it said over `over`.
 */
function passiveResult(
  baseline: PassiveBaseline,
  builtFrom: PassiveResult['builtFrom'],
  rowAt: (i: number) => EvaluationRow,
  verdicts: Verdicts,
  reference: Reference,
  sets: { test: readonly number[]; labelled?: readonly number[]; train?: readonly number[]; over: readonly number[] },
): PassiveResult {
  const scored = (indexes: readonly number[]) =>
    indexes.flatMap((i) => {
      const label = reference.classOf(rowAt(i));
      return label === null ? [] : [{ label, verdict: verdicts.of(i) ?? { kind: 'none' as const } }];
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
