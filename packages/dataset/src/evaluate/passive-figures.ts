/** How often a hand-written database (p0f) agrees with the Nmap label. */
import { familyOfClass } from './family.ts';
import type { PassiveVerdict } from './passive-baseline.ts';
import { ratio } from './metrics.ts';

export interface PassiveFigures {
  readonly rows: number;
  /** Rows the database named an OS for. */
  readonly matched: number;
  /** Matched rows by match quality (exact, generic, fuzzy). */
  readonly byQuality: Readonly<Record<string, number>>;
  /** Rows whose signature could not be read (counted as no match). */
  readonly unreadable: number;
  /** Share of all rows where the database's label maps to the Nmap class (no match = disagreement). */
  readonly classAgreement: number;
  /** Share of all rows where the database names the Nmap label's OS family. */
  readonly familyAgreement: number;
  readonly classAgreementWhenMatched: number;
  readonly familyAgreementWhenMatched: number;
}

export interface JudgedRow {
  readonly label: string;
  readonly verdict: PassiveVerdict;
}

export function agreesOnClass(label: string, verdict: PassiveVerdict): boolean {
  return verdict.kind === 'match' && verdict.classes.includes(label);
}

export function agreesOnFamily(label: string, verdict: PassiveVerdict): boolean {
  return verdict.kind === 'match' && verdict.family === familyOfClass(label);
}

export function passiveFigures(rows: readonly JudgedRow[]): PassiveFigures {
  let matched = 0;
  let unreadable = 0;
  let cls = 0;
  let family = 0;
  const byQuality: Record<string, number> = {};
  for (const { label, verdict } of rows) {
    if (verdict.kind === 'unreadable') unreadable++;
    if (verdict.kind !== 'match') continue;
    matched++;
    byQuality[verdict.quality] = (byQuality[verdict.quality] ?? 0) + 1;
    if (agreesOnClass(label, verdict)) cls++;
    if (agreesOnFamily(label, verdict)) family++;
  }
  const sortedQuality = Object.fromEntries(Object.entries(byQuality).sort(([a], [b]) => a.localeCompare(b)));
  return {
    rows: rows.length,
    matched,
    byQuality: sortedQuality,
    unreadable,
    classAgreement: ratio(cls, rows.length),
    familyAgreement: ratio(family, rows.length),
    classAgreementWhenMatched: ratio(cls, matched),
    familyAgreementWhenMatched: ratio(family, matched),
  };
}
