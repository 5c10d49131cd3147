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
import { findMatch } from './match.ts';
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
  const covered: { entry: T; by: T }[] = [];
  let order: T[] = [];
  const loaded: P0fTcpSignature[] = [];
  for (const entry of [...entries].sort(bySpecificity)) {
    const cover = coveringSignature(loaded, entry.fields);
    if (cover) {
      covered.push({ entry, by: order[cover.line] as T });
      continue;
    }
    loaded.push(asTcpSignature(entry, order.length));
    order.push(entry);
  }

  let placement = place(order);
  for (let round = 0; round < 4 * order.length && placement.pairs.length > 0; round++) {
    let improved = false;
    for (const pair of placement.pairs) {
      if (pair.by < 0) continue;
      const candidate = moveBefore(order, pair.shadowed, pair.by);
      if (!loadable(candidate)) continue;
      const next = place(candidate);
      if (next.misplacedRows < placement.misplacedRows) {
        order = candidate;
        placement = next;
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }

  const shadowed: { entry: T; by: T | null }[] = [];
  for (;;) {
    const dead = order.findIndex((_, i) => placement.reached[i] === 0);
    if (dead < 0) break;
    const entry = order[dead] as T;
    const by = placement.pairs.filter((p) => p.shadowed === dead).sort((a, b) => b.rows - a.rows)[0]?.by;
    shadowed.push({ entry, by: by === undefined || by < 0 ? null : (order[by] as T) });
    order = order.filter((_, i) => i !== dead);
    placement = place(order);
  }
  return { signatures: order, covered, shadowed, misplacedRows: placement.misplacedRows };
}

function bySpecificity(a: Placeable, b: Placeable): number {
  return (
    wildcardCount(a.fields) - wildcardCount(b.fields) ||
    a.fields.ittl - b.fields.ittl ||
    b.evidence.rows - a.evidence.rows ||
    (a.evidence.text < b.evidence.text ? -1 : a.evidence.text > b.evidence.text ? 1 : 0)
  );
}

function loadable(order: readonly Placeable[]): boolean {
  const loaded: P0fTcpSignature[] = [];
  for (const entry of order) {
    if (coveringSignature(loaded, entry.fields)) return false;
    loaded.push(asTcpSignature(entry, loaded.length));
  }
  return true;
}

function moveBefore<T>(order: readonly T[], from: number, to: number): T[] {
  const moved = order[from] as T;
  const rest = order.filter((_, i) => i !== from);
  rest.splice(to < from ? to : to - 1, 0, moved);
  return rest;
}

interface Placement {
  /** Rows of each signature's own SYN-ACKs that p0f gives that signature's label. */
  readonly reached: readonly number[];
  readonly misplacedRows: number;
  /** Signature `shadowed` loses `rows` to signature `by` (-1: to no match), largest first. */
  readonly pairs: readonly { shadowed: number; by: number; rows: number }[];
}

/** Matches every entry's own SYN-ACKs against the file in this order, the way p0f would. */
function place(order: readonly Placeable[]): Placement {
  // Signatures only ever match SYN-ACKs with their option layout: match within those.
  const byLayout = new Map<string, P0fTcpSignature[]>();
  order.forEach((entry, i) => {
    const list = byLayout.get(entry.fields.optionLayout) ?? [];
    list.push(asTcpSignature(entry, i));
    byLayout.set(entry.fields.optionLayout, list);
  });
  const labels = order.map((e) => formatLabel(e.label));
  const reached = order.map(() => 0);
  const lost = new Map<string, { shadowed: number; by: number; rows: number }>();
  let misplacedRows = 0;
  order.forEach((entry, i) => {
    const candidates = byLayout.get(entry.fields.optionLayout) ?? [];
    for (const observed of entry.evidence.observed) {
      const match = findMatch(candidates, { signature: observed.signature, window: observed.window });
      const owner = match?.signature.line ?? -1;
      if (owner === i || (owner >= 0 && labels[owner] === labels[i])) {
        reached[i] = (reached[i] ?? 0) + observed.rows;
        continue;
      }
      misplacedRows += observed.rows;
      const key = `${i} ${owner}`;
      const pair = lost.get(key) ?? { shadowed: i, by: owner, rows: 0 };
      pair.rows += observed.rows;
      lost.set(key, pair);
    }
  });
  const pairs = [...lost.values()].sort((a, b) => b.rows - a.rows || a.shadowed - b.shadowed || a.by - b.by);
  return { reached, misplacedRows, pairs };
}
