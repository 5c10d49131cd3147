/**
 * A p0f `[tcp:response]` database learned from labelled rows: one signature
 * per distinct SYN-ACK (in p0f's database form), generalised where no row
 * says a field matters (generalise.ts), labelled with the class its rows
 * carry or left out when they are too few or disagree (label-choice.ts), and
 * ordered so that p0f loads it and gives each signature's own SYN-ACKs its
 * label (file-order.ts). Deterministic: the same rows in any order and the
 * same options give the same database.
 */
import { UserError } from '@osfp/dataset';
import type { P0fTcpSignature } from './database.ts';
import { exactEvidence, type LabelledSynAck, type Majority, type SignatureEvidence } from './evidence.ts';
import { orderSignatures, asTcpSignature } from './file-order.ts';
import { generalise, type LearnThresholds } from './generalise.ts';
import { chooseLabel } from './label-choice.ts';
import { layoutMatcher } from './match.ts';
import type { P0fLabelFields, P0fSignatureFields } from './signature-text.ts';

export type LearnOptions = LearnThresholds;

export const DEFAULT_LEARN_OPTIONS: LearnOptions = { minSupport: 3, minPurity: 0.8 };

/** Bad input for the generator (options, rows): the message names it and says what to do. */
export class P0fLearnError extends UserError {}

export interface LearnedSignature {
  readonly fields: P0fSignatureFields;
  readonly label: P0fLabelFields;
  readonly evidence: SignatureEvidence;
  /** The dataset class the label stands for; null for a family-only (generic) label. */
  readonly cls: string | null;
  /** familyOfClass() key of the label. */
  readonly family: string;
  /** The class (or, for a family label, the family) holding most rows, and its share. */
  readonly majority: Majority;
}

export type LeftOutReason = 'support' | 'disagreement' | 'covered' | 'shadowed';

export interface LeftOutSignature {
  readonly evidence: SignatureEvidence;
  readonly reason: LeftOutReason;
  readonly majority: Majority;
  /** For `covered` and `shadowed`: the written signature that took its place. */
  readonly by: LearnedSignature | null;
}

export interface LearnedDatabase {
  readonly options: LearnOptions;
  /** In file order. */
  readonly signatures: readonly LearnedSignature[];
  readonly leftOut: readonly LeftOutSignature[];
  /** `signatures` as the matcher sees them (line = index); match rows against these to judge them. */
  readonly database: readonly P0fTcpSignature[];
  readonly rows: {
    /** Labelled rows with a readable signature: what the database was learned from. */
    readonly learned: number;
    /** Labelled rows whose p0f_sig could not be read: skipped. */
    readonly unreadable: number;
    /** Learned rows whose SYN-ACK the database matches exactly or generically (any label; fuzzy matches not counted). */
    readonly matched: number;
    /** Learned rows whose SYN-ACK the database matches with the row's own class. */
    readonly agreeing: number;
  };
}

/**
 * `what` names the rows in errors, e.g. `lab@3 (all labelled rows)`. The
 * result may hold no signature at all (every one too small or too mixed):
 * fine for an evaluation, not for a file (requireSignatures()).
 */
export function learnP0fDatabase(rows: Iterable<LabelledSynAck>, options: LearnOptions, what: string): LearnedDatabase {
  validate(options);
  const exact = exactEvidence(rows);
  const learned = exact.signatures.reduce((n, s) => n + s.rows, 0);
  if (learned === 0) throw noLabelledRows(what, exact.unreadable);

  const entries: LearnedSignature[] = [];
  const leftOut: LeftOutSignature[] = [];
  for (const evidence of generalise(exact.signatures, options)) {
    const choice = chooseLabel(evidence, options);
    if (choice.kind === 'left-out') {
      leftOut.push({ evidence, reason: choice.reason, majority: choice.majority, by: null });
    } else {
      entries.push({
        fields: evidence.fields,
        label: choice.label,
        evidence,
        cls: choice.kind === 'class' ? choice.cls : null,
        family: choice.family,
        majority: choice.majority,
      });
    }
  }

  const ordered = orderSignatures(canonicalNames(entries));
  for (const { entry, by } of ordered.covered) leftOut.push({ ...fromEntry(entry), reason: 'covered', by });
  for (const { entry, by } of ordered.shadowed) leftOut.push({ ...fromEntry(entry), reason: 'shadowed', by });
  const database = ordered.signatures.map((s, i) => asTcpSignature(s, i));
  // Exact and generic matches only: the fuzzy search costs most on the rows left out, and says least.
  const matchObserved = layoutMatcher(database, { fuzzy: false });
  let matched = 0;
  let agreeing = 0;
  for (const signature of exact.signatures) {
    for (const observed of signature.observed) {
      const match = matchObserved({ signature: observed.signature, window: observed.window });
      if (match === null) continue;
      matched += observed.rows;
      const cls = ordered.signatures[match.signature.line]?.cls;
      if (cls) agreeing += observed.classes.get(cls) ?? 0;
    }
  }

  return {
    options,
    signatures: ordered.signatures,
    leftOut: leftOut.sort((a, b) => b.evidence.rows - a.evidence.rows || compare(a.evidence.text, b.evidence.text)),
    database,
    rows: { learned, unreadable: exact.unreadable, matched, agreeing },
  };
}

/** Rows without a single usable label (label_status ok) teach nothing: say so before splitting them. */
export function assertLabelled(rows: readonly Pick<LabelledSynAck, 'label' | 'label_status'>[], what: string): void {
  if (!rows.some((r) => r.label_status === 'ok' && r.label !== null && r.label !== '')) throw noLabelledRows(what, 0);
}

function noLabelledRows(what: string, unreadable: number): P0fLearnError {
  return new P0fLearnError(
    `${what} has no labelled row with a readable p0f signature${unreadable > 0 ? ` (${unreadable} unreadable)` : ''}: ` +
      'nothing to learn a database from; label the hosts with Nmap (collect without --label none) or pick another version',
  );
}

/** A database to write must say something: else the error says which threshold to lower. */
export function requireSignatures(db: LearnedDatabase, what: string): void {
  if (db.signatures.length > 0) return;
  const distinct = db.leftOut.length;
  throw new P0fLearnError(
    `no signature of ${what} has --min-support ${db.options.minSupport} rows that agree at --min-purity ${db.options.minPurity} ` +
      `(${distinct} distinct signature${distinct === 1 ? '' : 's'}, ${db.rows.learned} rows); lower --min-support or --min-purity`,
  );
}

function validate({ minSupport, minPurity }: LearnOptions): void {
  if (!Number.isInteger(minSupport) || minSupport < 1) {
    throw new P0fLearnError(`--min-support must be an integer >= 1 (rows behind a signature), got ${minSupport}`);
  }
  if (!(minPurity > 0 && minPurity <= 1)) {
    throw new P0fLearnError(
      `--min-purity must be a share above 0 and at most 1 (e.g. 0.8: four rows in five carry the class), got ${minPurity}`,
    );
  }
}

/**
 * p0f keeps one spelling per OS name, matched without case (lookup_name_id):
 * give every label the spelling of the name's biggest signature, so what p0f
 * prints is what the label says.
 */
function canonicalNames(entries: readonly LearnedSignature[]): LearnedSignature[] {
  const spelling = new Map<string, string>();
  for (const e of [...entries].sort(
    (a, b) => b.evidence.rows - a.evidence.rows || compare(a.label.name, b.label.name),
  )) {
    if (!spelling.has(e.label.name.toLowerCase())) spelling.set(e.label.name.toLowerCase(), e.label.name);
  }
  return entries.map((e) => ({
    ...e,
    label: { ...e.label, name: spelling.get(e.label.name.toLowerCase()) ?? e.label.name },
  }));
}

function fromEntry(entry: LearnedSignature): Pick<LeftOutSignature, 'evidence' | 'majority'> {
  return { evidence: entry.evidence, majority: entry.majority };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
