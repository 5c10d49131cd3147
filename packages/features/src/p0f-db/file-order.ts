/**
 * The order of a generated database's signatures. p0f answers with the first
 * exact non-generic signature in file order, and refuses to load a file in
 * which a signature is covered by an earlier one (load-check.ts), so order
 * decides both what p0f says and whether it starts at all:
 *
 * 1. most specific first (fewest `*` fields), then lower initial TTL first
 *    (a TTL of 29-32 is within reach of both a 32 and a 64 signature), then
 *    more rows first, then by text: a signature is never behind a more
 *    general one that would swallow its packets;
 * 2. a signature p0f would refuse as covered is left out (with its coverer);
 * 3. shadowing: every distinct observed SYN-ACK behind a signature is matched
 *    against the ordered file with p0f's own rules (match.ts); when it lands
 *    on another signature with another label, the shadowed signature is
 *    moved just before its shadow if that puts more rows on their own label
 *    and keeps the file loadable;
 * 4. a signature none of whose own SYN-ACKs reach it any more is left out:
 *    nothing it was learned from would ever be reported with its label.
 */
import type { P0fTcpSignature } from './database.ts';
import type { SignatureEvidence } from './evidence.ts';
import { wildcardCount } from './generalise.ts';
import { coveringSignature } from './load-check.ts';
import { findMatch, layoutMatcher, type ObservedSynAck, type P0fMatch, type P0fMatchQuality } from './match.ts';
import { formatLabel, type P0fLabelFields, type P0fSignatureFields } from './signature-text.ts';

export interface Placeable {
  readonly fields: P0fSignatureFields;
  readonly label: P0fLabelFields;
  readonly evidence: SignatureEvidence;
}

export interface Ordered<T extends Placeable> {
  /** File order. */
  readonly signatures: readonly T[];
  /** Left out: p0f would refuse them as covered by `by`. */
  readonly covered: readonly { readonly entry: T; readonly by: T }[];
  /** Left out: every SYN-ACK they were learned from lands on `by` (the one taking most rows). */
  readonly shadowed: readonly { readonly entry: T; readonly by: T | null }[];
  /** Rows of the kept signatures whose SYN-ACK lands on a signature with another label (or none). */
  readonly misplacedRows: number;
}

/** A signature as the matcher sees it; `line` is its index in `order`. */
export function asTcpSignature(entry: Placeable, line: number): P0fTcpSignature {
  const { label } = entry;
  return {
    ...entry.fields,
    line,
    label: { ...label, text: label.flavor === '' ? label.name : `${label.name} ${label.flavor}` },
  };
}

export function orderSignatures<T extends Placeable>(entries: readonly T[]): Ordered<T> {
  // Signatures with different option layouts never match the same packet nor cover one another:
  // each layout is ordered on its own, and the file interleaves them by specificity.
  const sorted = [...entries].sort(bySpecificity);
  const rank = new Map(sorted.map((e, i) => [e, i]));
  const byLayout = new Map<string, T[]>();
  for (const entry of sorted) {
    const list = byLayout.get(entry.fields.optionLayout);
    if (list) list.push(entry);
    else byLayout.set(entry.fields.optionLayout, [entry]);
  }
  const parts = [...byLayout.values()].map((list) => orderLayout(list));
  const heads = parts.map(() => 0);
  const signatures: T[] = [];
  for (;;) {
    let best = -1;
    parts.forEach((part, k) => {
      const next = part.signatures[heads[k] ?? 0];
      const bestNext = best < 0 ? undefined : parts[best]?.signatures[heads[best] ?? 0];
      if (next !== undefined && (bestNext === undefined || (rank.get(next) ?? 0) < (rank.get(bestNext) ?? 0))) best = k;
    });
    if (best < 0) break;
    signatures.push(parts[best]?.signatures[heads[best] ?? 0] as T);
    heads[best] = (heads[best] ?? 0) + 1;
  }
  return {
    signatures,
    covered: parts.flatMap((p) => p.covered),
    shadowed: parts.flatMap((p) => p.shadowed),
    misplacedRows: parts.reduce((n, p) => n + p.misplacedRows, 0),
  };
}

function bySpecificity(a: Placeable, b: Placeable): number {
  return (
    wildcardCount(a.fields) - wildcardCount(b.fields) ||
    a.fields.ittl - b.fields.ittl ||
    b.evidence.rows - a.evidence.rows ||
    (a.evidence.text < b.evidence.text ? -1 : a.evidence.text > b.evidence.text ? 1 : 0)
  );
}

/** Steps 2-4 for signatures sharing one option layout, already in specificity order. */
function orderLayout<T extends Placeable>(sorted: readonly T[]): Ordered<T> {
  const covered: { entry: T; by: T }[] = [];
  const order: T[] = [];
  // Covering needs equal quirks (learned signatures all name their IP version): only those are compared.
  const loaded = new Map<string, P0fTcpSignature[]>();
  for (const entry of sorted) {
    const key = [...entry.fields.quirks].sort().join(',');
    const sameQuirks = loaded.get(key) ?? [];
    const cover = coveringSignature(
      entry.fields.ipVersion === null ? [...loaded.values()].flat() : sameQuirks,
      entry.fields,
    );
    if (cover) {
      covered.push({ entry, by: order[cover.line] as T });
      continue;
    }
    sameQuirks.push(asTcpSignature(entry, order.length));
    loaded.set(key, sameQuirks);
    order.push(entry);
  }

  const placement = new Placement(order);
  // Each move is tried once, so the loop ends.
  const tried = new Set<string>();
  for (;;) {
    let improved = false;
    for (const { shadowed, by } of placement.pairs()) {
      const key = `${shadowed.evidence.text} ${by.evidence.text}`;
      if (tried.has(key)) continue;
      tried.add(key);
      if (placement.tryMoveBefore(shadowed, by)) {
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }

  const shadowed: { entry: T; by: T | null }[] = [];
  for (let dead = placement.dead(); dead !== null; dead = placement.dead()) {
    shadowed.push({ entry: dead, by: placement.mainShadow(dead) });
    placement.remove(dead);
  }
  return { signatures: placement.order, covered, shadowed, misplacedRows: placement.misplacedRows() };
}

interface Packet<T> {
  /** The signature learned from it. */
  readonly of: T;
  readonly observed: ObservedSynAck;
  readonly rows: number;
}

interface Owner<T> {
  readonly entry: T;
  readonly quality: P0fMatchQuality;
}

/**
 * Where each signature's own SYN-ACKs land in the current order (one option
 * layout), kept up to date as signatures move or go, the way p0f would match
 * them. A move only re-examines the SYN-ACKs it can change.
 */
class Placement<T extends Placeable> {
  order: T[];
  private readonly packets: Packet<T>[];
  private readonly owners: (Owner<T> | null)[];
  private readonly ownedBy = new Map<T, Set<number>>();
  private readonly label = new Map<T, string>();
  private readonly signature = new Map<T, P0fTcpSignature>();
  private readonly entryOf = new Map<P0fTcpSignature, T>();
  private index = new Map<T, number>();
  private match: (observed: ObservedSynAck) => P0fMatch | null = () => null;

  constructor(order: readonly T[]) {
    this.order = [...order];
    for (const entry of order) {
      const signature = asTcpSignature(entry, 0);
      this.signature.set(entry, signature);
      this.entryOf.set(signature, entry);
      this.label.set(entry, formatLabel(entry.label));
      this.ownedBy.set(entry, new Set());
    }
    this.packets = order.flatMap((entry) =>
      entry.evidence.observed.map((o) => ({
        of: entry,
        observed: { signature: o.signature, window: o.window },
        rows: o.rows,
      })),
    );
    this.reindex();
    this.owners = this.packets.map(() => null);
    this.packets.forEach((_, i) => this.setOwner(i, this.ownerOf(i)));
  }

  /** Rows whose SYN-ACK lands on a signature with another label, or on none. */
  misplacedRows(): number {
    return this.packets.reduce((n, p, i) => n + (this.wrong(p, this.owners[i] ?? null) ? p.rows : 0), 0);
  }

  /** Who takes whose SYN-ACKs: shadowed signature, its shadow, rows lost; most rows first. */
  pairs(): { shadowed: T; by: T; rows: number }[] {
    const lost = new Map<string, { shadowed: T; by: T; rows: number }>();
    this.packets.forEach((p, i) => {
      const owner = this.owners[i] ?? null;
      if (owner === null || !this.wrong(p, owner)) return;
      const key = `${p.of.evidence.text} ${owner.entry.evidence.text}`;
      const pair = lost.get(key) ?? { shadowed: p.of, by: owner.entry, rows: 0 };
      pair.rows += p.rows;
      lost.set(key, pair);
    });
    return [...lost.values()].sort(
      (a, b) =>
        b.rows - a.rows ||
        (this.index.get(a.shadowed) ?? 0) - (this.index.get(b.shadowed) ?? 0) ||
        (this.index.get(a.by) ?? 0) - (this.index.get(b.by) ?? 0),
    );
  }

  /**
   * Moves `entry` to just before `before` when that puts more rows on their
   * own label and keeps the file loadable; says whether it did.
   */
  tryMoveBefore(entry: T, before: T): boolean {
    const from = this.index.get(entry) ?? -1;
    const to = this.index.get(before) ?? -1;
    // A generic signature loses to any specific one wherever it stands; one already first gains nothing.
    if (entry.label.generic || to < 0 || from <= to) return false;
    const moved = this.signature.get(entry) as P0fTcpSignature;
    // It jumps over order[to..from-1]: p0f would refuse the file if it covered one of them.
    for (let i = to; i < from; i++) if (coveringSignature([moved], (this.order[i] as T).fields)) return false;

    const candidate = [...this.order];
    candidate.splice(from, 1);
    candidate.splice(to, 0, entry);
    const candidateMatch = this.matcherFor(candidate);
    // Only SYN-ACKs owned by a signature it jumps over can change hands (to it); fuzzy and
    // unmatched ones follow p0f's first-fuzzy rule, so they are matched again.
    const changes = new Map<number, Owner<T> | null>();
    for (let i = to; i < from; i++) {
      for (const k of this.ownedBy.get(this.order[i] as T) ?? []) {
        if (this.owners[k]?.quality !== 'exact') continue;
        const m = findMatch([moved], (this.packets[k] as Packet<T>).observed);
        if (m?.quality === 'exact') changes.set(k, { entry, quality: 'exact' });
      }
    }
    this.packets.forEach((_, k) => {
      const owner = this.owners[k] ?? null;
      if (owner !== null && owner.quality !== 'fuzzy') return;
      const m = candidateMatch((this.packets[k] as Packet<T>).observed);
      const next = m === null ? null : { entry: this.entryOf.get(m.signature) as T, quality: m.quality };
      if (next?.entry !== owner?.entry) changes.set(k, next);
    });
    let delta = 0;
    for (const [k, next] of changes) {
      const p = this.packets[k] as Packet<T>;
      delta += p.rows * (Number(this.wrong(p, next)) - Number(this.wrong(p, this.owners[k] ?? null)));
    }
    if (delta >= 0) return false;
    this.order = candidate;
    this.reindex();
    for (const [k, next] of changes) this.setOwner(k, next);
    return true;
  }

  /** The first signature none of whose own SYN-ACKs get its label, or null. */
  dead(): T | null {
    const reached = new Map<T, number>();
    this.packets.forEach((p, i) => {
      if (!this.wrong(p, this.owners[i] ?? null)) reached.set(p.of, (reached.get(p.of) ?? 0) + p.rows);
    });
    return this.order.find((e) => !reached.has(e)) ?? null;
  }

  /** The signature that takes most of `entry`'s rows. */
  mainShadow(entry: T): T | null {
    return this.pairs().find((p) => p.shadowed === entry)?.by ?? null;
  }

  remove(entry: T): void {
    this.order = this.order.filter((e) => e !== entry);
    this.reindex();
    for (const k of [...(this.ownedBy.get(entry) ?? [])]) this.setOwner(k, this.ownerOf(k));
  }

  private wrong(p: Packet<T>, owner: Owner<T> | null): boolean {
    return owner === null || this.label.get(owner.entry) !== this.label.get(p.of);
  }

  private ownerOf(k: number): Owner<T> | null {
    const m = this.match((this.packets[k] as Packet<T>).observed);
    return m === null ? null : { entry: this.entryOf.get(m.signature) as T, quality: m.quality };
  }

  private setOwner(k: number, owner: Owner<T> | null): void {
    const old = this.owners[k] ?? null;
    if (old) this.ownedBy.get(old.entry)?.delete(k);
    this.owners[k] = owner;
    if (owner) this.ownedBy.get(owner.entry)?.add(k);
  }

  private reindex(): void {
    this.index = new Map(this.order.map((e, i) => [e, i]));
    this.match = this.matcherFor(this.order);
  }

  private matcherFor(order: readonly T[]): (observed: ObservedSynAck) => P0fMatch | null {
    return layoutMatcher(order.map((e) => this.signature.get(e) as P0fTcpSignature));
  }
}
