/**
 * The baseline classifiers. Each ranks the classes for every row, so top-1 and
 * top-2 come from one ranking. Ties break by training frequency, then name,
 * so a ranking depends only on the data and the seed.
 */
import { RandomForestClassifier } from 'ml-random-forest';

export interface Classifier {
  readonly name: string;
  readonly description: string;
  /** `y` holds class indexes into `classes`. */
  fit(x: readonly number[][], y: readonly number[], classes: readonly string[]): void;
  /** For every row, class indexes from most to least likely. */
  rank(x: readonly number[][]): number[][];
}

/** Always the most frequent training classes: the floor any model must beat. */
export function majorityClassifier(): Classifier {
  let order: number[] = [];
  return {
    name: 'majority',
    description: 'predicts the most frequent training classes (the floor)',
    fit(_x, y, classes) {
      order = tieBreakOrder(y, classes.length);
    },
    rank(x) {
      return x.map(() => order);
    },
  };
}

export interface ForestOptions {
  readonly trees: number;
  readonly seed: number;
  readonly maxDepth: number;
}

/** mljs's random forest (ml-random-forest), ranking classes by the share of trees voting for them. */
export function randomForestClassifier(options: ForestOptions): Classifier {
  let forest: RandomForestClassifier | null = null;
  let nClasses = 0;
  let order: number[] = [];
  return {
    name: 'random-forest',
    description: `ml-random-forest, ${options.trees} trees, max depth ${options.maxDepth}, bagging, 70 % of features per tree, seed ${options.seed}`,
    fit(x, y, classes) {
      nClasses = classes.length;
      order = tieBreakOrder(y, nClasses);
      forest = new RandomForestClassifier({
        nEstimators: options.trees,
        // ml-random-forest wants a 32-bit integer seed.
        seed: options.seed | 0,
        maxFeatures: 0.7,
        replacement: false,
        useSampleBagging: true,
        noOOB: true,
        treeOptions: { maxDepth: options.maxDepth, minNumSamples: 2 },
      });
      forest.train(x.map((r) => [...r]), [...y]);
    },
    rank(x) {
      if (forest === null) throw new Error('random forest used before fit()');
      if (x.length === 0) return [];
      const votes = forest.predictionValues(x.map((r) => [...r])).to2DArray();
      const position = new Map(order.map((c, i) => [c, i]));
      return votes.map((treeVotes) => {
        const counts = new Array<number>(nClasses).fill(0);
        for (const v of treeVotes) if (v >= 0 && v < nClasses) counts[v] = (counts[v] ?? 0) + 1;
        return counts
          .map((count, cls) => ({ cls, count }))
          .sort((a, b) => b.count - a.count || (position.get(a.cls) ?? 0) - (position.get(b.cls) ?? 0))
          .map((e) => e.cls);
      });
    },
  };
}

/** Class indexes by descending training frequency, then index (= name order). */
function tieBreakOrder(y: readonly number[], nClasses: number): number[] {
  const counts = new Array<number>(nClasses).fill(0);
  for (const c of y) counts[c] = (counts[c] ?? 0) + 1;
  return counts
    .map((count, cls) => ({ cls, count }))
    .sort((a, b) => b.count - a.count || a.cls - b.cls)
    .map((e) => e.cls);
}
