/**
 * Which rows the evaluation trains on and which it scores: labelled rows
 * (label_status ok), in classes with at least `minSupport` of them, split per
 * class with a seed. Shared with whatever must learn from exactly the
 * evaluator's training rows (`osfp dataset p0f-db --split train`).
 */
import { EvaluationInputError } from './evaluation-error.ts';
import type { EvaluationRow } from './evaluation-row.ts';
import { stratifiedSplit } from './stratified-split.ts';

export interface SplitOptions {
  readonly seed: number;
  /** Share of each class held out for testing. */
  readonly testFraction: number;
  /** Classes with fewer labelled rows are neither trained on nor scored. */
  readonly minSupport: number;
}

export interface EvaluationSplit {
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

export function evaluationSplit(rows: readonly EvaluationRow[], options: SplitOptions): EvaluationSplit {
  validateSplitOptions(options);
  const labelled = rows.flatMap((r, i) => (hasUsableLabel(r) ? [i] : []));
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
  return {
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
export function trainingRows(rows: readonly EvaluationRow[], options: SplitOptions): EvaluationRow[] {
  return evaluationSplit(rows, options).train.map((i) => rows[i] as EvaluationRow);
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
