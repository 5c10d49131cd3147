/**
 * Generalisation: which fields of a learned signature become p0f's `*`.
 *
 * p0f's format can wildcard the MSS, the payload class, the window scale and
 * the window, and nothing else (option layout, quirks, IP option length and
 * initial TTL must be spelled out; `%N` and `ttl-` are left alone). The
 * fields are tried one at a time, the one that says least about the OS first:
 * MSS (set by the path's MTU and middleboxes), payload class, window scale,
 * window. For a field F, the signatures that are equal on every other field
 * are pooled, and the pool becomes one signature with F = `*` when F does not
 * separate classes in it: the pooled rows still name one class (at least
 * `minPurity` of them), or one OS family (label-choice.ts), and no signature
 * of the pool with `minSupport` rows names something else. A handful of rows
 * with another label does not keep F, a well-supported signature does.
 * A pool of one signature is generalised too (no row says F matters), unless
 * its own rows name nothing clear: those are left out anyway. More specific
 * signatures are written first (file-order.ts), so a generalised one only
 * takes the SYN-ACKs nothing more specific claims.
 */
import { addCounts, evidenceOf, type SignatureEvidence } from './evidence.ts';
import { sameVerdict, verdictOf } from './label-choice.ts';
import { formatSignature, type P0fSignatureFields } from './signature-text.ts';

export interface LearnThresholds {
  /** Rows a signature needs to be written at all (and to block a generalisation). */
  readonly minSupport: number;
  /** Share of a signature's rows its class needs. */
  readonly minPurity: number;
}

/** Wildcardable fields, in the order they are generalised. */
export const GENERALISED_FIELDS = ['mss', 'payloadClass', 'windowScale', 'window'] as const;
export type GeneralisedField = (typeof GENERALISED_FIELDS)[number];

export function withWildcard(fields: P0fSignatureFields, field: GeneralisedField): P0fSignatureFields {
  switch (field) {
    case 'mss':
      return { ...fields, mss: null };
    case 'payloadClass':
      return { ...fields, payloadClass: null };
    case 'windowScale':
      return { ...fields, windowScale: null };
    case 'window':
      return { ...fields, window: { kind: 'any' } };
  }
}

/** How many fields of a signature are `*`: fewer means more specific. */
export function wildcardCount(fields: P0fSignatureFields): number {
  return (
    (fields.mss === null ? 1 : 0) +
    (fields.payloadClass === null ? 1 : 0) +
    (fields.windowScale === null ? 1 : 0) +
    (fields.window.kind === 'any' ? 1 : 0)
  );
}

export function generalise(signatures: readonly SignatureEvidence[], thresholds: LearnThresholds): SignatureEvidence[] {
  let current = [...signatures];
  for (const field of GENERALISED_FIELDS) current = generaliseField(current, field, thresholds);
  return current;
}

function generaliseField(
  signatures: readonly SignatureEvidence[],
  field: GeneralisedField,
  { minSupport, minPurity }: LearnThresholds,
): SignatureEvidence[] {
  const pools = new Map<string, SignatureEvidence[]>();
  for (const signature of signatures) {
    const key = formatSignature(withWildcard(signature.fields, field));
    const pool = pools.get(key);
    if (pool) pool.push(signature);
    else pools.set(key, [signature]);
  }
  const out: SignatureEvidence[] = [];
  for (const pool of pools.values()) {
    const pooled = new Map<string, number>();
    for (const s of pool) addCounts(pooled, s.classes);
    const verdict = verdictOf(pooled, minPurity);
    const agreed =
      verdict.kind !== 'mixed' &&
      pool.every((s) => s.rows < minSupport || sameVerdict(verdictOf(s.classes, minPurity), verdict));
    const first = pool[0] as SignatureEvidence;
    if (agreed) {
      out.push(
        evidenceOf(
          withWildcard(first.fields, field),
          pool.flatMap((s) => s.observed),
        ),
      );
    } else {
      out.push(...pool);
    }
  }
  return out;
}
