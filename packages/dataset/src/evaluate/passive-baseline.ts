/**
 * Fingerprint databases judged beside the learned models: a database given
 * as is (p0f's hand-written p0f.fp), and one built from the evaluation's own
 * training split (osfp's learned p0f database). The dataset package only
 * defines the shapes, so it depends on neither (see @osfp/features' p0f-db).
 */
import type { EvaluationRow } from './evaluation-row.ts';

export type PassiveVerdict =
  | {
      readonly kind: 'match';
      /** The database's own label, e.g. `Linux 3.x`. */
      readonly label: string;
      /** How the database matched, e.g. `exact`, `generic`, `fuzzy`. */
      readonly quality: string;
      /** Dataset classes this label agrees with (empty: the taxonomy has no such class). */
      readonly classes: readonly string[];
      /** Comparable with familyOfClass() of the Nmap label. */
      readonly family: string;
    }
  | { readonly kind: 'none' }
  | { readonly kind: 'unreadable'; readonly reason: string };

export interface PassiveBaseline {
  readonly name: string;
  /** Where its database came from (a path, or how it was built), recorded in the report. */
  readonly source: string;
  judge(row: Pick<EvaluationRow, 'p0f_sig' | 'tcp_window'>): PassiveVerdict;
}

/**
 * A database built from labelled rows. The evaluator calls `learn` once with
 * the training split and scores the result on the test split only, like the
 * models: rows it learned from say nothing about how it generalises.
 */
export interface LearnedPassiveBaseline {
  readonly name: string;
  learn(train: TrainingRows): PassiveBaseline;
}

/**
 * The training rows, in file order, each built when it is reached (it may be
 * iterated more than once): held as objects, a version's training split
 * would grow the evaluation's memory with the version.
 */
export interface TrainingRows extends Iterable<EvaluationRow> {
  readonly length: number;
}
