/**
 * p0f 3.09b's load-time duplicate rule (tcp_register_sig() in fp_tcp.c): each
 * new signature is matched, as if it were a packet, against the signatures
 * before it in the same section, and p0f aborts ("Signature in line N is
 * already covered by line M") when an earlier non-generic one matches it
 * exactly. A generated database must never trip it, so the writer asks here
 * first.
 *
 * The comparison is tcp_find_match() with dupe_det set: wildcards of the new
 * signature only meet the same wildcard; a plain window of the new signature
 * meets `%N` and `mss*N` / `mtu*N` through detect_win_multi() run on the
 * signature's own MSS (no timestamps, no peer MSS); any other window term
 * must be the same term.
 */
import type { P0fTcpSignature } from './database.ts';
import { P0F_MAX_DIST } from './match.ts';
import type { P0fQuirk } from './signature.ts';
import type { P0fSignatureFields } from './signature-text.ts';

const MIN_TCP4 = 40;
const MIN_TCP6 = 60;

/** The first earlier signature that makes p0f refuse `sig`, or null when p0f accepts it. */
export function coveringSignature(
  earlier: readonly P0fTcpSignature[],
  sig: P0fSignatureFields,
): P0fTcpSignature | null {
  for (const ref of earlier) {
    if (ref.label.generic || ref.optionLayout !== sig.optionLayout) continue;
    let refQuirks: ReadonlySet<P0fQuirk> = ref.quirks;
    if (ref.ipVersion === null) {
      // p0f strips the other version's quirks; for a new signature without a version that is the IPv4 ones.
      const foreign: readonly P0fQuirk[] = sig.ipVersion === 4 ? ['flow'] : ['df', 'id+', 'id-'];
      refQuirks = new Set([...ref.quirks].filter((q) => !foreign.includes(q)));
    }
    // Different quirks are at best a fuzzy match, and a fuzzy match never covers.
    if (!sameSet(refQuirks, sig.quirks)) continue;
    if (ref.ipOptionLength !== sig.ipOptionLength) continue;
    // Out of TTL range is fuzzy (or no match for `ttl-`): not covering either way.
    if (ref.badTtl ? ref.ittl < sig.ittl : ref.ittl < sig.ittl || ref.ittl - sig.ittl > P0F_MAX_DIST) continue;
    if (ref.mss !== null && ref.mss !== sig.mss) continue;
    if (ref.windowScale !== null && ref.windowScale !== sig.windowScale) continue;
    if (ref.payloadClass !== null && ref.payloadClass !== sig.payloadClass) continue;
    if (!windowCovers(ref, sig)) continue;
    return ref;
  }
  return null;
}

function windowCovers(ref: P0fTcpSignature, sig: P0fSignatureFields): boolean {
  const term = sig.window;
  if (term.kind !== 'value') {
    // Two database window terms: only the same term (`*` included) covers.
    if (term.kind === 'any') return ref.window.kind === 'any';
    return ref.window.kind === term.kind && ref.window.value === term.value;
  }
  switch (ref.window.kind) {
    case 'any':
      return true;
    case 'value':
      return ref.window.value === term.value;
    case 'mod':
      return term.value % ref.window.value === 0;
    case 'mss':
    case 'mtu': {
      const multiple = signatureWindowMultiple(sig, term.value);
      return multiple !== null && multiple.unit === ref.window.kind && multiple.factor === ref.window.value;
    }
  }
}

/** detect_win_multi() on a database signature: its own MSS, no timestamp, no peer SYN. */
function signatureWindowMultiple(
  sig: P0fSignatureFields,
  window: number,
): { unit: 'mss' | 'mtu'; factor: number } | null {
  const mss = sig.mss ?? -1;
  if (window === 0 || mss < 100) return null;
  const candidates: Array<[number, 'mss' | 'mtu']> = [
    [mss, 'mss'],
    [1500 - MIN_TCP4, 'mss'],
    [1500 - MIN_TCP4 - 12, 'mss'],
  ];
  if (sig.ipVersion === 6) candidates.push([1500 - MIN_TCP6, 'mss'], [1500 - MIN_TCP6 - 12, 'mss']);
  candidates.push([mss + MIN_TCP4, 'mtu']);
  if (sig.ipVersion === 6) candidates.push([mss + MIN_TCP6, 'mtu']);
  candidates.push([1500, 'mtu']);
  for (const [divisor, unit] of candidates) {
    if (window % divisor === 0) return { unit, factor: Math.trunc(window / divisor) };
  }
  return null;
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
