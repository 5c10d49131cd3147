/**
 * Turns rows into the numeric matrix the classifiers train on.
 *
 * Features are the SYN-ACK's IP and TCP header fields that describe the
 * sender's stack. Left out on purpose: `ip_ttl` and `ip_hops` (they measure the
 * path to the server, not its OS: the model would learn where servers are),
 * the raw `ip_id` and `tcp_tsval` values (per-connection counters; only whether
 * the IP ID is zero says something about the stack), `tcp_options` (raw bytes
 * already described by the layout and the option values) and `p0f_sig` (a
 * concatenation of the others, kept for the p0f baseline).
 *
 * String fields are coded by their rank in the training set's sorted
 * vocabulary (deterministic; tree models only need a consistent order); a
 * value unseen in training codes as -1, as does a missing number.
 */
import type { EvaluationRow } from './evaluation-row.ts';

type NumericColumn = 'ip_ittl' | 'ip_tos' | 'ip_ecn' | 'ip_olen' | 'tcp_window' | 'tcp_mss' | 'tcp_wscale';
type BooleanColumn = 'ip_df' | 'tcp_sack_ok' | 'tcp_ts';
type CategoricalColumn = 'tcp_olayout' | 'tcp_quirks' | 'tcp_wsize';

type FeatureDefinition =
  | { readonly name: NumericColumn; readonly kind: 'number' }
  | { readonly name: BooleanColumn; readonly kind: 'boolean' }
  | { readonly name: 'ip_id_zero'; readonly kind: 'derived' }
  | { readonly name: CategoricalColumn; readonly kind: 'category' };

export const FEATURES: readonly FeatureDefinition[] = [
  { name: 'ip_ittl', kind: 'number' },
  { name: 'ip_df', kind: 'boolean' },
  { name: 'ip_id_zero', kind: 'derived' },
  { name: 'ip_tos', kind: 'number' },
  { name: 'ip_ecn', kind: 'number' },
  { name: 'ip_olen', kind: 'number' },
  { name: 'tcp_window', kind: 'number' },
  { name: 'tcp_mss', kind: 'number' },
  { name: 'tcp_wscale', kind: 'number' },
  { name: 'tcp_sack_ok', kind: 'boolean' },
  { name: 'tcp_ts', kind: 'boolean' },
  { name: 'tcp_olayout', kind: 'category' },
  { name: 'tcp_quirks', kind: 'category' },
  { name: 'tcp_wsize', kind: 'category' },
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);

export interface FeatureEncoder {
  readonly featureNames: readonly string[];
  encode(row: EvaluationRow): number[];
}

/** Learns the categorical vocabularies from the training rows only (no peeking at the test split). */
export function fitFeatureEncoder(trainingRows: readonly EvaluationRow[]): FeatureEncoder {
  const vocabularies = new Map<CategoricalColumn, Map<string, number>>();
  for (const feature of FEATURES) {
    if (feature.kind !== 'category') continue;
    const values = [...new Set(trainingRows.map((r) => r[feature.name]))].sort();
    vocabularies.set(feature.name, new Map(values.map((v, i) => [v, i])));
  }
  return {
    featureNames: FEATURE_NAMES,
    encode(row) {
      return FEATURES.map((feature) => {
        switch (feature.kind) {
          case 'number':
            return row[feature.name] ?? -1;
          case 'boolean':
            return row[feature.name] ? 1 : 0;
          case 'derived':
            return row.ip_id === 0 ? 1 : 0;
          case 'category':
            return vocabularies.get(feature.name)?.get(row[feature.name]) ?? -1;
        }
      });
    },
  };
}
