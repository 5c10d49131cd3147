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
  const majority = majorityOf(evidence.classes);
  if (evidence.rows < minSupport) return { kind: 'left-out', reason: 'support', majority };
  if (majority.purity >= minPurity) {
    return {
      kind: 'class',
      label: labelForClass(majority.label),
      cls: majority.label,
      family: familyOfClass(majority.label),
      majority,
    };
  }
  const families = new Map<string, number>();
  for (const [cls, rows] of evidence.classes) {
    const family = familyOfClass(cls);
    families.set(family, (families.get(family) ?? 0) + rows);
  }
  const family = majorityOf(families);
  if (family.purity < minPurity) return { kind: 'left-out', reason: 'disagreement', majority };
  // Spelled like the family's most frequent class (`Linux`, not `linux`).
  const spelling = sortedCounts(evidence.classes).find(([cls]) => familyOfClass(cls) === family.label)?.[0] ?? '';
  return { kind: 'family', label: labelForFamily(spelling), family: family.label, majority: family };
}
