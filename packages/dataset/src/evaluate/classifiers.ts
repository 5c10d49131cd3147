/**
 * The baseline classifiers. Each ranks the classes for every row, so top-1 and
 * top-2 come from one ranking. Ties break by training frequency, then name,
 * so a ranking depends only on the data and the seed.
 */
import { DecisionTreeClassifier } from 'ml-cart';
import { seededRandom, shuffleInPlace } from './seeded-random.ts';

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

/** Share of the features each tree may split on. */
const FEATURE_SHARE = 0.7;

/**
 * A random forest of mljs CART trees (ml-cart): each tree learns from its own
 * seeded bootstrap sample and a seeded subset of the features; classes are
 * ranked by the share of trees voting for them.
 *
 * Why not ml-random-forest's own training: ml-cart proposes a split between
 * every two neighbouring rows (sorted by the feature) whose labels differ, and
 * a dataset of SYN-ACKs repeats the same few signatures under several labels,
 * so the shuffled bootstrap sample ml-random-forest builds gives O(n)
 * candidate splits per node. Sorting each sample by label first (ml-cart's
 * sort is stable) bounds them by distinct values x classes. Together with the
 * patch in patches/ml-cart@2.1.1.patch (its class count was O(n^2)) this took
 * 2,000 rows from 78 s to 5 s.
 */
export function randomForestClassifier(options: ForestOptions): Classifier {
  let trees: { tree: DecisionTreeClassifier; features: number[] }[] = [];
  let nClasses = 0;
  let order: number[] = [];
  return {
    name: 'random-forest',
    description: `${options.trees} ml-cart trees (bootstrap samples, ${Math.round(FEATURE_SHARE * 100)} % of features each, max depth ${options.maxDepth}), seed ${options.seed}`,
    fit(x, y, classes) {
      nClasses = classes.length;
      order = tieBreakOrder(y, nClasses);
      const random = seededRandom(options.seed ^ 0x9e3779b9);
      const nFeatures = x[0]?.length ?? 0;
      const perTree = Math.max(1, Math.round(nFeatures * FEATURE_SHARE));
      trees = [];
      for (let t = 0; t < options.trees; t++) {
        const features = shuffleInPlace([...Array(nFeatures).keys()], random)
          .slice(0, perTree)
          .sort((a, b) => a - b);
        const sample = Array.from({ length: x.length }, () => Math.floor(random() * x.length));
        sample.sort((a, b) => (y[a] ?? 0) - (y[b] ?? 0) || a - b);
        const tree = new DecisionTreeClassifier({ maxDepth: options.maxDepth, minNumSamples: 2, gainThreshold: 0 });
        tree.train(
          sample.map((i) => features.map((f) => x[i]?.[f] ?? 0)),
          sample.map((i) => y[i] ?? 0),
        );
        trees.push({ tree, features });
      }
    },
    rank(x) {
      if (x.length === 0) return [];
      const counts = x.map(() => new Array<number>(nClasses).fill(0));
      for (const { tree, features } of trees) {
        const votes = tree.predict(x.map((row) => features.map((f) => row[f] ?? 0)));
        votes.forEach((v, i) => {
          const row = counts[i];
          if (row && v >= 0 && v < nClasses) row[v] = (row[v] ?? 0) + 1;
        });
      }
      const position = new Map(order.map((c, i) => [c, i]));
      return counts.map((row) =>
        row
          .map((count, cls) => ({ cls, count }))
          .sort((a, b) => b.count - a.count || (position.get(a.cls) ?? 0) - (position.get(b.cls) ?? 0))
          .map((e) => e.cls),
      );
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
