/**
 * What a verdict is scored against. Today every row is scored against Nmap's
 * label; a lab whose hosts' OS is known can add its ground truth as another
 * reference, and the passive figures are computed the same way for it.
 */
import type { EvaluationRow } from './evaluation-row.ts';
import { hasUsableLabel } from './evaluation-split.ts';

export interface Reference {
  /** Recorded in the report beside the figures scored against it. */
  readonly name: string;
  /** The row's class under this reference; null when it has none (the row is not scored). */
  classOf(row: EvaluationRow): string | null;
}

export const NMAP_LABEL: Reference = {
  name: 'nmap',
  classOf: (row) => (hasUsableLabel(row) ? row.label : null),
};
