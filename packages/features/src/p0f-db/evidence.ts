/**
 * The labelled rows behind a signature: how many rows, which classes they
 * carry, and the distinct observed SYN-ACKs (raw signature and window) they
 * came from. Built once from a dataset's rows; generalisation merges these.
 */
import type { EvaluationRow } from '@osfp/dataset';
import { parseObservedSignature, type ObservedSignature } from './observed.ts';
import { P0fSignatureError } from './signature.ts';
import { exactFields, formatSignature, type P0fSignatureFields } from './signature-text.ts';

/** What the generator reads of a row (a subset of the evaluator's rows). */
export type LabelledSynAck = Pick<EvaluationRow, 'p0f_sig' | 'tcp_window' | 'label' | 'label_status'>;

/** One distinct observed SYN-ACK: its raw signature and window. */
export interface ObservedEvidence {
  readonly rawSignature: string;
  readonly window: number;
  readonly signature: ObservedSignature;
  readonly rows: number;
  readonly classes: ReadonlyMap<string, number>;
}

export interface SignatureEvidence {
  readonly fields: P0fSignatureFields;
  /** formatSignature(fields): the identity of the signature. */
  readonly text: string;
  readonly rows: number;
  readonly classes: ReadonlyMap<string, number>;
  readonly observed: readonly ObservedEvidence[];
}

export interface Majority {
  readonly label: string;
  readonly rows: number;
  /** Share of the rows that carry `label`. */
  readonly purity: number;
}

/** The most frequent key; ties go to the first in code-point order, so the result depends only on the counts. */
export function majorityOf(counts: ReadonlyMap<string, number>): Majority {
  let best: string | null = null;
  let bestRows = 0;
  let total = 0;
  for (const [label, rows] of counts) {
    total += rows;
    if (best === null || rows > bestRows || (rows === bestRows && label < best)) {
      best = label;
      bestRows = rows;
    }
  }
  return { label: best ?? '', rows: bestRows, purity: total === 0 ? 0 : bestRows / total };
}

export function addCounts(into: Map<string, number>, from: ReadonlyMap<string, number>): void {
  for (const [key, n] of from) into.set(key, (into.get(key) ?? 0) + n);
}

/** Classes listed most frequent first (ties by name), for comments and reports. */
export function sortedCounts(counts: ReadonlyMap<string, number>): [string, number][] {
  return [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
}

export interface ExactEvidence {
  readonly signatures: SignatureEvidence[];
  /** Rows whose p0f_sig is not a readable p0f raw signature: skipped. */
  readonly unreadable: number;
}

/** One signature per distinct exact database form of the rows' SYN-ACKs, in first-seen order. */
export function exactEvidence(rows: Iterable<LabelledSynAck>): ExactEvidence {
  const observed = new Map<string, { signature: ObservedSignature; window: number; classes: Map<string, number> }>();
  let unreadable = 0;
  for (const row of rows) {
    // Only rows Nmap labelled (label_status ok) are evidence, as in the evaluator.
    if (row.label_status !== 'ok' || row.label === null || row.label === '') continue;
    const key = `${row.p0f_sig} ${row.tcp_window}`;
    let entry = observed.get(key);
    if (!entry) {
      let signature: ObservedSignature;
      try {
        signature = parseObservedSignature(row.p0f_sig);
      } catch (error) {
        if (!(error instanceof P0fSignatureError)) throw error;
        unreadable++;
        continue;
      }
      entry = { signature, window: row.tcp_window, classes: new Map() };
      observed.set(key, entry);
    }
    entry.classes.set(row.label, (entry.classes.get(row.label) ?? 0) + 1);
  }

  const bySignature = new Map<string, { fields: P0fSignatureFields; observed: ObservedEvidence[] }>();
  for (const [key, entry] of observed) {
    const fields = exactFields(entry.signature);
    const text = formatSignature(fields);
    const group = bySignature.get(text) ?? { fields, observed: [] };
    group.observed.push({
      rawSignature: key.slice(0, key.lastIndexOf(' ')),
      window: entry.window,
      signature: entry.signature,
      rows: [...entry.classes.values()].reduce((a, b) => a + b, 0),
      classes: entry.classes,
    });
    bySignature.set(text, group);
  }
  return { signatures: [...bySignature.values()].map((g) => evidenceOf(g.fields, g.observed)), unreadable };
}

export function evidenceOf(fields: P0fSignatureFields, observed: readonly ObservedEvidence[]): SignatureEvidence {
  const classes = new Map<string, number>();
  for (const o of observed) addCounts(classes, o.classes);
  return {
    fields,
    text: formatSignature(fields),
    rows: observed.reduce((n, o) => n + o.rows, 0),
    classes,
    observed,
  };
}
