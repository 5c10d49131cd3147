/**
 * What the evaluator reads of each dataset row: the SYN-ACK features, the
 * Nmap labels, the raw p0f signature (for the p0f baseline) and the row's
 * identity (for the per-row predictions file).
 */
import type { DatasetRow } from '../schema.ts';

export const EVALUATION_INPUT_COLUMNS = [
  'ip',
  'port',
  'ip_ittl',
  'ip_df',
  'ip_id',
  'ip_tos',
  'ip_ecn',
  'ip_olen',
  'tcp_window',
  'tcp_mss',
  'tcp_wscale',
  'tcp_sack_ok',
  'tcp_ts',
  'tcp_olayout',
  'tcp_quirks',
  'tcp_wsize',
  'p0f_sig',
  'label',
  'label_2',
  'label_status',
] as const satisfies readonly (keyof DatasetRow)[];

export type EvaluationRow = Pick<DatasetRow, (typeof EVALUATION_INPUT_COLUMNS)[number]>;

/**
 * Rows by position: an array of rows, or the columnar table read from a
 * version (read-evaluation-rows.ts), which builds each row when asked.
 */
export interface EvaluationRows {
  readonly length: number;
  at(index: number): EvaluationRow | undefined;
}
