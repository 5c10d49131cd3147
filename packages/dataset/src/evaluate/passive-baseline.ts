/**
 * A hand-written fingerprint database judged beside the learned model (p0f's
 * p0f.fp is the one osfp ships: see @osfp/collector's p0f-db). The dataset
 * package only defines the shape, so it does not depend on the collector.
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
  /** Where its database came from (a path), recorded in the report. */
  readonly source: string;
  judge(row: Pick<EvaluationRow, 'p0f_sig' | 'tcp_window'>): PassiveVerdict;
}
