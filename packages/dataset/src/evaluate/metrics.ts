/** Classification figures: top-1, top-2 and balanced accuracy and a per-class table. */

export interface ClassFigures {
  readonly label: string;
  /** Test rows of this class. */
  readonly support: number;
  /** Test rows predicted as this class (top-1). */
  readonly predicted: number;
  /** null when nothing was predicted as this class (precision undefined). */
  readonly precision: number | null;
  readonly recall: number;
}

/** Test rows by true class (rows, in `labels` order) and top-1 prediction (columns, same order). */
export interface ConfusionMatrix {
  readonly labels: readonly string[];
  readonly counts: readonly (readonly number[])[];
}

export interface ModelFigures {
  readonly top1: number;
  readonly top2: number;
  readonly balancedAccuracy: number;
  /** Top-1 prediction equals the row's label or label_2 (Nmap's own two guesses). */
  readonly top1InNmapTop2: number;
  /** Top-1 prediction of the same OS family as the label. */
  readonly familyAccuracy: number;
  readonly perClass: readonly ClassFigures[];
  readonly confusion: ConfusionMatrix;
}

export interface ScoredRow {
  readonly label: string;
  readonly label2: string | null;
  /** Classes in descending score order (at least one). */
  readonly ranked: readonly string[];
}

export function modelFigures(
  rows: readonly ScoredRow[],
  classes: readonly string[],
  familyOf: (c: string) => string,
): ModelFigures {
  const n = rows.length;
  const support = new Map<string, number>(classes.map((c) => [c, 0]));
  const predicted = new Map<string, number>(classes.map((c) => [c, 0]));
  const correct = new Map<string, number>(classes.map((c) => [c, 0]));
  const position = new Map(classes.map((c, k) => [c, k]));
  const confusion = classes.map(() => classes.map(() => 0));
  let top1 = 0;
  let top2 = 0;
  let nmap2 = 0;
  let family = 0;
  for (const row of rows) {
    const first = row.ranked[0] ?? '';
    const truth = position.get(row.label);
    const guess = position.get(first);
    if (truth !== undefined && guess !== undefined) confusion[truth]![guess]! += 1;
    support.set(row.label, (support.get(row.label) ?? 0) + 1);
    predicted.set(first, (predicted.get(first) ?? 0) + 1);
    if (first === row.label) {
      top1++;
      correct.set(row.label, (correct.get(row.label) ?? 0) + 1);
    }
    if (row.ranked.slice(0, 2).includes(row.label)) top2++;
    if (first === row.label || (row.label2 !== null && first === row.label2)) nmap2++;
    if (familyOf(first) === familyOf(row.label)) family++;
  }
  const perClass = classes.map((label): ClassFigures => {
    const s = support.get(label) ?? 0;
    const p = predicted.get(label) ?? 0;
    const c = correct.get(label) ?? 0;
    return { label, support: s, predicted: p, precision: p === 0 ? null : c / p, recall: s === 0 ? 0 : c / s };
  });
  const present = perClass.filter((c) => c.support > 0);
  return {
    top1: ratio(top1, n),
    top2: ratio(top2, n),
    balancedAccuracy: present.length === 0 ? 0 : present.reduce((sum, c) => sum + c.recall, 0) / present.length,
    top1InNmapTop2: ratio(nmap2, n),
    familyAccuracy: ratio(family, n),
    perClass,
    confusion: { labels: [...classes], counts: confusion },
  };
}

export const ratio = (part: number, whole: number): number => (whole === 0 ? 0 : part / whole);
