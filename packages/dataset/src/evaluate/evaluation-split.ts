/**
 * Which rows the evaluation trains on and which it scores: labelled rows
 * (label_status ok), in classes with at least `minSupport` of them, split per
 * class with a seed. Shared with whatever must learn from exactly the
 * evaluator's training rows (`osfp dataset p0f-db --split train`).
 */
import { EvaluationInputError } from './evaluation-error.ts';
import type { EvaluationRow, EvaluationRows } from './evaluation-row.ts';
import { stratifiedSplit } from './stratified-split.ts';

export interface SplitOptions {
  readonly seed: number;
  /** Share of each class held out for testing. */
  readonly testFraction: number;
  /** Classes with fewer labelled rows are neither trained on nor scored. */
  readonly minSupport: number;
}

export interface EvaluationSplit {
  /** Every row's label ('' when it has none), read once: the strings are shared, not copied. */
  readonly labels: readonly string[];
  /** Indexes of rows with a usable label. */
  readonly labelled: readonly number[];
  readonly supportByClass: ReadonlyMap<string, number>;
  /** Classes trained on and scored, sorted. */
  readonly classes: readonly string[];
  /** Classes below min support, sorted. */
  readonly rare: readonly string[];
  /** Labelled rows of `classes`. */
  readonly evaluated: readonly number[];
  readonly train: readonly number[];
  readonly test: readonly number[];
}

export const hasUsableLabel = (r: Pick<EvaluationRow, 'label' | 'label_status'>): boolean =>
  r.label_status === 'ok' && r.label !== null && r.label !== '';

/**
 * Reads each row once (by position: an array, or the columnar table of a
 * version, which builds a row object only when asked).
 */
export function evaluationSplit(rows: EvaluationRows, options: SplitOptions): EvaluationSplit {
  validateSplitOptions(options);
  const n = rows.length;
  const labels: string[] = new Array<string>(n);
  const labelled: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = rows.at(i) as EvaluationRow;
    labels[i] = r.label ?? '';
    if (hasUsableLabel(r)) labelled.push(i);
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
  return {
    labels,
    labelled,
    supportByClass,
    classes,
    rare,
    evaluated,
    train: split.train.map((k) => evaluated[k] ?? 0),
    test: split.test.map((k) => evaluated[k] ?? 0),
  };
}

/** The rows `osfp dataset evaluate` with these options trains on (before --max-train-rows), in file order. */
export function trainingRows(rows: EvaluationRows, options: SplitOptions): EvaluationRow[] {
  return evaluationSplit(rows, options).train.map((i) => rows.at(i) as EvaluationRow);
}

export function validateSplitOptions(o: SplitOptions): void {
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new EvaluationInputError(what);
  };
  check(Number.isInteger(o.seed), `--seed must be an integer, got ${o.seed}`);
  check(o.testFraction > 0 && o.testFraction < 1, `--test-fraction must be between 0 and 1, got ${o.testFraction}`);
  check(
    Number.isInteger(o.minSupport) && o.minSupport >= 2,
    `--min-support must be an integer >= 2, got ${o.minSupport}`,
  );
}
