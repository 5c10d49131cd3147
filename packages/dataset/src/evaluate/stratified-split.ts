/**
 * Seeded stratified train/test split: each class keeps the same share in both
 * parts, so the balanced accuracy of a rare class is measured at all.
 */
import { seededRandom, shuffleInPlace } from './seeded-random.ts';

export interface Split {
  readonly train: readonly number[];
  readonly test: readonly number[];
}

/**
 * Splits row indexes by class. Every class with at least two rows gets at
 * least one test row and one training row. Classes are visited in sorted
 * order so the result depends only on the data and the seed.
 */
export function stratifiedSplit(labels: readonly string[], testFraction: number, seed: number): Split {
  const random = seededRandom(seed);
  const byClass = groupIndexes(labels);
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [...byClass.keys()].sort()) {
    const indexes = shuffleInPlace([...(byClass.get(cls) ?? [])], random);
    const nTest =
      indexes.length < 2 ? 0 : Math.min(indexes.length - 1, Math.max(1, Math.round(indexes.length * testFraction)));
    test.push(...indexes.slice(0, nTest));
    train.push(...indexes.slice(nTest));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/**
 * A seeded stratified subsample of at most `max` indexes, keeping class shares
 * (every class keeps at least one row), for bounding training time.
 */
export function stratifiedSubsample(
  indexes: readonly number[],
  labels: readonly string[],
  max: number,
  seed: number,
): number[] {
  if (indexes.length <= max) return [...indexes];
  const random = seededRandom(seed ^ 0x5bd1e995);
  const byClass = new Map<string, number[]>();
  for (const i of indexes) {
    const cls = labels[i] ?? '';
    const list = byClass.get(cls);
    if (list) list.push(i);
    else byClass.set(cls, [i]);
  }
  const kept: number[] = [];
  for (const cls of [...byClass.keys()].sort()) {
    const list = shuffleInPlace([...(byClass.get(cls) ?? [])], random);
    kept.push(...list.slice(0, Math.max(1, Math.floor((list.length * max) / indexes.length))));
  }
  return kept.sort((a, b) => a - b);
}

function groupIndexes(labels: readonly string[]): Map<string, number[]> {
  const byClass = new Map<string, number[]>();
  labels.forEach((cls, i) => {
    const list = byClass.get(cls);
    if (list) list.push(i);
    else byClass.set(cls, [i]);
  });
  return byClass;
}
