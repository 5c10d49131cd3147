/**
 * Matches an observed SYN-ACK signature against p0f.fp the way p0f 3.09b's
 * tcp_find_match() does (fp_tcp.c), so the p0f baseline is what p0f itself
 * would have said about the same packet:
 *
 * - the option layout (including EOL padding) must be identical;
 * - quirks must be identical, except that `df` or `id+` disappearing and `id-`
 *   or `ecn` appearing give a fuzzy match; a signature without IP version
 *   ignores the other IP version's quirks;
 * - IP option length must be equal; `*` in MSS, window scale and payload
 *   class matches anything;
 * - TTL: the signature's initial TTL must be >= the observed TTL and within
 *   35 hops (MAX_DIST), else the match is fuzzy; a `ttl-` (random TTL)
 *   signature only needs the upper bound;
 * - window: exact value, `%N` divisibility, or `mss*N` / `mtu*N` equal to the
 *   multiplier p0f detected (which is what the raw signature's window term is);
 * - the first exact, non-generic signature in file order wins; else the first
 *   generic one; else the first fuzzy one (never for userland tools, `!`).
 */
import type { P0fDatabase, P0fTcpSignature } from './database.ts';
import type { ObservedSignature } from './observed.ts';
import type { P0fQuirk, WindowTerm } from './signature.ts';

/** p0f's MAX_DIST (config.h): farther than this, a TTL match is only fuzzy. */
export const P0F_MAX_DIST = 35;

export type P0fMatchQuality = 'exact' | 'generic' | 'fuzzy';

export interface P0fMatch {
  readonly signature: P0fTcpSignature;
  readonly quality: P0fMatchQuality;
  /** Hops from the signature's initial TTL, as p0f reports `dist`. */
  readonly distance: number;
}

export interface ObservedSynAck {
  readonly signature: ObservedSignature;
  /**
   * The raw TCP window. Needed against signatures with a plain or `%N`
   * window when the raw signature shows `mss*N`/`mtu*N`; without it the
   * window is reconstructed from MSS (exact for p0f's first rule only).
   */
  readonly window?: number;
}

const FUZZY_WHEN_DELETED: ReadonlySet<P0fQuirk> = new Set(['df', 'id+']);
const FUZZY_WHEN_ADDED: ReadonlySet<P0fQuirk> = new Set(['id-', 'ecn']);
const IPV6_ONLY_QUIRKS: readonly P0fQuirk[] = ['flow'];
const IPV4_ONLY_QUIRKS: readonly P0fQuirk[] = ['df', 'id+', 'id-'];

export function matchSynAck(database: P0fDatabase, observed: ObservedSynAck): P0fMatch | null {
  return findMatch(database.tcpResponse, observed);
}

export function findMatch(signatures: readonly P0fTcpSignature[], observed: ObservedSynAck): P0fMatch | null {
  const sig = observed.signature;
  const window = rawWindow(observed);
  let fuzzyMatch: P0fTcpSignature | null = null;
  let genericMatch: P0fTcpSignature | null = null;

  for (const ref of signatures) {
    if (ref.optionLayout !== sig.optionLayout) continue;

    let refQuirks: ReadonlySet<P0fQuirk> = ref.quirks;
    if (ref.ipVersion === null) {
      const foreign = sig.ipVersion === 4 ? IPV6_ONLY_QUIRKS : IPV4_ONLY_QUIRKS;
      refQuirks = new Set([...ref.quirks].filter((q) => !foreign.includes(q)));
    }

    let fuzzy = false;
    if (!sameSet(refQuirks, sig.quirks)) {
      const deleted = [...refQuirks].filter((q) => !sig.quirks.has(q));
      const added = [...sig.quirks].filter((q) => !refQuirks.has(q));
      if (
        fuzzyMatch !== null ||
        deleted.some((q) => !FUZZY_WHEN_DELETED.has(q)) ||
        added.some((q) => !FUZZY_WHEN_ADDED.has(q))
      ) {
        continue;
      }
      fuzzy = true;
    }

    if (ref.ipOptionLength !== sig.ipOptionLength) continue;

    if (ref.badTtl) {
      if (ref.ittl < sig.ttl) continue;
    } else if (ref.ittl < sig.ttl || ref.ittl - sig.ttl > P0F_MAX_DIST) {
      fuzzy = true;
    }

    if (ref.mss !== null && ref.mss !== sig.mss) continue;
    if (ref.windowScale !== null && ref.windowScale !== sig.windowScale) continue;
    if (ref.payloadClass !== null && ref.payloadClass !== sig.payloadClass) continue;
    if (!windowMatches(ref, sig, window)) continue;

    if (!fuzzy) {
      if (!ref.label.generic) return { signature: ref, quality: 'exact', distance: ref.ittl - sig.ttl };
      genericMatch ??= ref;
    } else {
      fuzzyMatch ??= ref;
    }
  }

  if (genericMatch !== null) {
    return { signature: genericMatch, quality: 'generic', distance: genericMatch.ittl - sig.ttl };
  }
  // p0f never reports a fuzzy match for userland tools.
  if (fuzzyMatch === null || fuzzyMatch.label.osClass === null) return null;
  const inRange = fuzzyMatch.ittl >= sig.ttl && (fuzzyMatch.badTtl || fuzzyMatch.ittl - sig.ttl <= P0F_MAX_DIST);
  return {
    signature: fuzzyMatch,
    quality: 'fuzzy',
    distance: inRange ? fuzzyMatch.ittl - sig.ttl : guessDistance(sig.ttl),
  };
}

/**
 * findMatch() over a fixed list, indexed for judging many SYN-ACKs against a
 * large database, with the same answer. Within an option layout, signatures
 * that name their IP version and have a fixed TTL are filed by quirks and
 * initial TTL; the others are always looked at. An exact or generic match
 * needs the packet's quirks and an initial TTL 0-35 hops above its TTL; a
 * fuzzy one, quirks that differ at most by `df`/`id+` missing or `id-`/`ecn`
 * added. The first match of the best kind in file order wins, as in p0f.
 * `fuzzy: false` stops at exact and generic matches (the fuzzy search walks
 * much more of the list).
 */
export function layoutMatcher(
  signatures: readonly P0fTcpSignature[],
  { fuzzy: withFuzzy = true }: { readonly fuzzy?: boolean } = {},
): (observed: ObservedSynAck) => P0fMatch | null {
  interface LayoutIndex {
    readonly all: P0fTcpSignature[];
    /** quirks -> initial TTL -> window key -> signatures, in file order. */
    readonly keyed: Map<string, Map<number, Map<string, P0fTcpSignature[]>>>;
    /** Wildcard IP version or `ttl-`: always looked at. */
    readonly loose: P0fTcpSignature[];
    /** p0f's "first fuzzy match, unless it is a userland tool" needs the whole list when there are any. */
    userland: boolean;
  }
  const position = new Map<P0fTcpSignature, number>();
  const byLayout = new Map<string, LayoutIndex>();
  signatures.forEach((signature, i) => {
    position.set(signature, i);
    let index = byLayout.get(signature.optionLayout);
    if (!index) {
      index = { all: [], keyed: new Map(), loose: [], userland: false };
      byLayout.set(signature.optionLayout, index);
    }
    index.all.push(signature);
    if (signature.label.osClass === null) index.userland = true;
    if (signature.ipVersion === null || signature.badTtl) {
      index.loose.push(signature);
      return;
    }
    const byTtl = getOrSet(
      index.keyed,
      quirkKey(signature.quirks),
      () => new Map<number, Map<string, P0fTcpSignature[]>>(),
    );
    const byWindow = getOrSet(byTtl, signature.ittl, () => new Map<string, P0fTcpSignature[]>());
    getOrSet(byWindow, windowKey(signature.window), (): P0fTcpSignature[] => []).push(signature);
  });

  const earliest = (a: P0fMatch | null, b: P0fMatch | null) =>
    b === null || (a !== null && (position.get(a.signature) ?? 0) < (position.get(b.signature) ?? 0)) ? a : b;

  return (observed) => {
    const index = byLayout.get(observed.signature.optionLayout);
    if (!index) return null;
    const ttl = observed.signature.ttl;
    const window = rawWindow(observed);
    // The window keys a signature needs to match this packet at all (windowMatches()).
    const windows = [...new Set(['other', `value:${window}`, windowKey(observed.signature.window)])];
    const candidates = [index.loose];
    for (const [ittl, byWindow] of index.keyed.get(quirkKey(observed.signature.quirks)) ?? []) {
      if (ittl < ttl || ittl - ttl > P0F_MAX_DIST) continue;
      for (const key of windows) {
        const refs = byWindow.get(key);
        if (refs) candidates.push(refs);
      }
    }
    let exact: P0fMatch | null = null;
    let generic: P0fMatch | null = null;
    for (const refs of candidates) {
      const m = findMatch(refs, observed);
      if (m?.quality === 'exact') exact = earliest(exact, m);
      else if (m?.quality === 'generic') generic = earliest(generic, m);
    }
    if (exact !== null || generic !== null || !withFuzzy) return exact ?? generic;
    if (index.userland) return findMatch(index.all, observed);
    let fuzzy = findMatch(index.loose, observed);
    for (const quirks of fuzzyQuirkVariants(observed.signature.quirks)) {
      for (const byWindow of index.keyed.get(quirks)?.values() ?? []) {
        for (const key of windows) fuzzy = earliest(fuzzy, findMatch(byWindow.get(key) ?? [], observed));
      }
    }
    return fuzzy;
  };
}

/** Window terms by what they can match: a value, a multiplier of MSS or MTU, or anything else (`*`, `%N`). */
function windowKey(term: WindowTerm): string {
  return term.kind === 'any' || term.kind === 'mod' ? 'other' : `${term.kind}:${term.value}`;
}

function getOrSet<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

const quirkKey = (quirks: Iterable<string>) => [...quirks].sort().join(',');

/** Quirk sets a signature may have to match these quirks fuzzily (or exactly): `df`/`id+` more, `id-`/`ecn` fewer. */
function fuzzyQuirkVariants(quirks: ReadonlySet<P0fQuirk>): string[] {
  const subsets = <T>(items: readonly T[]): T[][] =>
    items.reduce<T[][]>((acc, item) => [...acc, ...acc.map((s) => [...s, item])], [[]]);
  const addable = [...FUZZY_WHEN_DELETED].filter((q) => !quirks.has(q));
  const removable = [...FUZZY_WHEN_ADDED].filter((q) => quirks.has(q));
  const variants: string[] = [];
  for (const add of subsets(addable)) {
    for (const remove of subsets(removable)) {
      variants.push(quirkKey([...[...quirks].filter((q) => !remove.includes(q)), ...add]));
    }
  }
  return variants;
}

function windowMatches(ref: P0fTcpSignature, sig: ObservedSignature, window: number | null): boolean {
  const term = ref.window;
  switch (term.kind) {
    case 'any':
      return true;
    case 'value':
      return window !== null && window === term.value;
    case 'mod':
      return window !== null && window % term.value === 0;
    case 'mss':
      return sig.window.kind === 'mss' && sig.window.value === term.value;
    case 'mtu':
      return sig.window.kind === 'mtu' && sig.window.value === term.value;
  }
}

function rawWindow(observed: ObservedSynAck): number | null {
  if (observed.window !== undefined) return observed.window;
  const term = observed.signature.window;
  if (term.kind === 'value') return term.value;
  const mss = observed.signature.mss;
  if (mss === null) return null;
  // p0f's first candidates: MSS for mss*N, MSS + 40 (IPv4 headers) for mtu*N.
  return term.kind === 'mss' ? mss * term.value : (mss + 40) * term.value;
}

/** p0f's guess_dist(): hops to the next common initial TTL. */
export function guessDistance(ttl: number): number {
  if (ttl <= 32) return 32 - ttl;
  if (ttl <= 64) return 64 - ttl;
  if (ttl <= 128) return 128 - ttl;
  return 255 - ttl;
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
