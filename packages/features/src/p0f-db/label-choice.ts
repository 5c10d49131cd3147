/**
 * Which label a learned signature's rows earn:
 *
 * - fewer than `minSupport` rows: none (left out: too little evidence);
 * - the majority class holds at least `minPurity` of the rows: that class, as
 *   a specific `s:` label;
 * - else, when the majority OS family holds at least `minPurity` of the rows
 *   (say Linux 3.X and Linux 4.X rows mixed): the family alone, as a generic
 *   `g:` label (`g:unix:Linux:`), which p0f uses only when no specific
 *   signature matches;
 * - else none (left out: the rows disagree even on the family).
 */
import { familyOfClass } from '@osfp/dataset';
import { labelForClass, labelForFamily } from './class-label.ts';
import { majorityOf, sortedCounts, type Majority, type SignatureEvidence } from './evidence.ts';
import type { LearnThresholds } from './generalise.ts';
import type { P0fLabelFields } from './signature-text.ts';

/** What rows with these classes say, whatever their number: a class, only a family, or nothing clear. */
export type Verdict =
  | { readonly kind: 'class'; readonly cls: string; readonly majority: Majority }
  | { readonly kind: 'family'; readonly family: string; readonly majority: Majority }
  | { readonly kind: 'mixed'; readonly majority: Majority };

export function verdictOf(classes: ReadonlyMap<string, number>, minPurity: number): Verdict {
  const majority = majorityOf(classes);
  if (majority.purity >= minPurity) return { kind: 'class', cls: majority.label, majority };
  const families = new Map<string, number>();
  for (const [cls, rows] of classes) {
    const family = familyOfClass(cls);
    families.set(family, (families.get(family) ?? 0) + rows);
  }
  const family = majorityOf(families);
  if (family.purity >= minPurity) return { kind: 'family', family: family.label, majority: family };
  return { kind: 'mixed', majority };
}

/** Two verdicts name the same thing (a `mixed` one names nothing). */
export function sameVerdict(a: Verdict, b: Verdict): boolean {
  if (a.kind === 'class' && b.kind === 'class') return a.cls === b.cls;
  if (a.kind === 'family' && b.kind === 'family') return a.family === b.family;
  return false;
}

export type LabelChoice =
  | {
      readonly kind: 'class';
      readonly label: P0fLabelFields;
      /** The dataset class the label stands for. */
      readonly cls: string;
      readonly family: string;
      readonly majority: Majority;
    }
  | {
      readonly kind: 'family';
      readonly label: P0fLabelFields;
      readonly family: string;
      /** Share of the rows in that family. */
      readonly majority: Majority;
    }
  | { readonly kind: 'left-out'; readonly reason: 'support' | 'disagreement'; readonly majority: Majority };

export function chooseLabel(evidence: SignatureEvidence, { minSupport, minPurity }: LearnThresholds): LabelChoice {
  const verdict = verdictOf(evidence.classes, minPurity);
  if (evidence.rows < minSupport)
    return { kind: 'left-out', reason: 'support', majority: majorityOf(evidence.classes) };
  switch (verdict.kind) {
    case 'class':
      return {
        kind: 'class',
        label: labelForClass(verdict.cls),
        cls: verdict.cls,
        family: familyOfClass(verdict.cls),
        majority: verdict.majority,
      };
    case 'family': {
      // Spelled like the family's most frequent class (`Linux`, not `linux`).
      const spelling = sortedCounts(evidence.classes).find(([cls]) => familyOfClass(cls) === verdict.family)?.[0];
      return {
        kind: 'family',
        label: labelForFamily(spelling ?? verdict.family),
        family: verdict.family,
        majority: verdict.majority,
      };
    }
    case 'mixed':
      return { kind: 'left-out', reason: 'disagreement', majority: verdict.majority };
  }
}
