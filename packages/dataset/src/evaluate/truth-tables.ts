/**
 * The evaluation against ground truth (`--truth`): how often Nmap's label,
 * each model and each passive database name what a host truly runs. Nmap is
 * scored on every row with a truth (it labelled them all; nothing was trained
 * on the truth), the models and the databases on the test split, like their
 * figures against Nmap. Rows whose address the truth file does not list are
 * counted, with examples, never silently dropped.
 */
import type { EvaluationRow, EvaluationRows } from './evaluation-row.ts';
import { hasUsableLabel } from './evaluation-split.ts';
import { familyOfClass } from './family.ts';
import type { GroundTruth } from './ground-truth.ts';
import { ratio } from './metrics.ts';
import type { PassiveVerdict } from './passive-baseline.ts';
import { passiveFigures, type PassiveFigures } from './passive-figures.ts';

/** Addresses without a truth shown in the report (the count is always complete). */
export const MISSING_TRUTH_EXAMPLES = 10;

export interface TruthClassFigures {
  /** The true class. */
  readonly label: string;
  readonly rows: number;
  readonly top1: number;
  readonly top2: number;
  /** The most frequent wrong top-1 answer for this class (null: never wrong), and how many rows got it. */
  readonly mostOftenInstead: string | null;
  readonly mostOftenInsteadRows: number;
}

export interface TruthFigures {
  readonly rows: number;
  /** Share of rows whose top-1 is the true class. */
  readonly top1: number;
  /** Share of rows whose true class is among the top two. */
  readonly top2: number;
  /** Share of rows whose top-1 is of the true OS family. */
  readonly familyAgreement: number;
  readonly perClass: readonly TruthClassFigures[];
}

export interface TruthReport {
  readonly source: string;
  /** The taxonomy of the truth's classes and of the version's labels; a note when they differ or are unknown. */
  readonly taxonomy: { readonly truth: string | null; readonly version: string | null; readonly note: string | null };
  readonly rows: {
    readonly total: number;
    readonly withTruth: number;
    /** Rows whose ip the truth file does not list: not scored against the truth. */
    readonly withoutTruth: number;
    readonly test: number;
    readonly testWithTruth: number;
    readonly testWithoutTruth: number;
    /** A few of the addresses without a truth, in row order. */
    readonly withoutTruthExamples: readonly string[];
  };
  /** True classes of the rows with a truth, most frequent first. */
  readonly classes: readonly { readonly label: string; readonly rows: number }[];
  /** Nmap's label (top-1) and its second guess (label_2, for top-2) on every row with a truth. */
  readonly nmap: TruthFigures & {
    /** Rows Nmap gave no usable label (counted as wrong). */
    readonly unlabelled: number;
  };
  /** Each model's ranking on the test rows with a truth. */
  readonly models: readonly { readonly name: string; readonly figures: TruthFigures }[];
  /** Each database's verdicts on the test rows with a truth (and, for a given database, on every row with one). */
  readonly passive: readonly {
    readonly name: string;
    readonly builtFrom: 'given' | 'training-split';
    readonly test: PassiveFigures;
    readonly withTruth: PassiveFigures | null;
  }[];
}

export interface TruthInputs {
  /** Read once each (by position: an array, or a version's columnar table). */
  readonly rows: EvaluationRows;
  readonly truth: GroundTruth;
  /** The version's taxonomy (its manifest's provenance), if known. */
  readonly versionTaxonomy: string | null;
  /** Row indexes of the test split. */
  readonly test: readonly number[];
  /**
   * Each model's classes, best first, for the test row at position `k` of `test`: the first two are
   * all the tables use (top-1, top-2, family), so the evaluator keeps only those.
   */
  readonly models: readonly { readonly name: string; ranked(k: number): readonly string[] }[];
  /** Each database's verdict for row `i` (undefined: not judged). */
  readonly passive: readonly {
    readonly name: string;
    readonly builtFrom: 'given' | 'training-split';
    verdictOf(i: number): PassiveVerdict | undefined;
  }[];
}

export function truthTables(input: TruthInputs): TruthReport {
  const { rows, truth, test } = input;
  const n = rows.length;
  const rowAt = (i: number) => rows.at(i) as EvaluationRow;
  // Every row's true class (null: its address is not listed), looked up once; the strings are the truth's own.
  const truths: (string | null)[] = new Array<string | null>(n);
  const withTruth: number[] = [];
  const withoutTruthExamples: string[] = [];
  for (let i = 0; i < n; i++) {
    const { ip } = rowAt(i);
    const cls = truth.byIp.get(ip)?.cls ?? null;
    truths[i] = cls;
    if (cls !== null) withTruth.push(i);
    else if (withoutTruthExamples.length < MISSING_TRUTH_EXAMPLES) withoutTruthExamples.push(ip);
  }
  const truthOf = (i: number): string | null => truths[i] ?? null;
  const testWithTruth = test.filter((i) => truthOf(i) !== null);

  const classCounts = new Map<string, number>();
  for (const i of withTruth) classCounts.set(truthOf(i) as string, (classCounts.get(truthOf(i) as string) ?? 0) + 1);

  let nmapUnlabelled = 0;
  const nmap = truthFigures(
    (function* () {
      for (const i of withTruth) {
        const row = rowAt(i);
        const ranked = !hasUsableLabel(row)
          ? []
          : row.label_2 === null || row.label_2 === ''
            ? [row.label as string]
            : [row.label as string, row.label_2];
        if (ranked.length === 0) nmapUnlabelled++;
        yield { truth: truthOf(i) as string, ranked };
      }
    })(),
  );

  // Positions in `test` of the test rows with a truth.
  const testPositionsWithTruth = test.flatMap((i, k) => (truthOf(i) === null ? [] : [k]));
  const models = input.models.map((m) => ({
    name: m.name,
    figures: truthFigures(
      testPositionsWithTruth.map((k) => ({ truth: truthOf(test[k] as number) as string, ranked: m.ranked(k) })),
    ),
  }));

  const judged = (indexes: readonly number[], verdictOf: (i: number) => PassiveVerdict | undefined) =>
    passiveFigures(indexes.map((i) => ({ label: truthOf(i) as string, verdict: verdictOf(i) ?? { kind: 'none' } })));
  const passive = input.passive.map((p) => ({
    name: p.name,
    builtFrom: p.builtFrom,
    test: judged(testWithTruth, p.verdictOf),
    // A learned database saw the training rows: only its test figures are fair.
    withTruth: p.builtFrom === 'given' ? judged(withTruth, p.verdictOf) : null,
  }));

  return {
    source: truth.source,
    taxonomy: taxonomyNote(truth.taxonomy, input.versionTaxonomy),
    rows: {
      total: n,
      withTruth: withTruth.length,
      withoutTruth: n - withTruth.length,
      test: test.length,
      testWithTruth: testWithTruth.length,
      testWithoutTruth: test.length - testWithTruth.length,
      withoutTruthExamples,
    },
    classes: [...classCounts]
      .map(([label, n]) => ({ label, rows: n }))
      .sort((a, b) => b.rows - a.rows || a.label.localeCompare(b.label)),
    nmap: { ...nmap, unlabelled: nmapUnlabelled },
    models,
    passive,
  };
}

function taxonomyNote(truth: string | null, version: string | null): TruthReport['taxonomy'] {
  let note: string | null = null;
  if (truth === null || version === null) {
    note = `the taxonomy of the ${truth === null ? 'truth file' : 'version'} is not known: classes are compared as written`;
  } else if (truth !== version) {
    note = `the truth's classes are under ${truth}, the version's labels under ${version}: a class named differently counts as a miss (relabel the version with osfp dataset relabel to compare like with like)`;
  }
  return { truth, version, note };
}

interface RankedRow {
  readonly truth: string;
  /** Best first; empty when nothing was said. */
  readonly ranked: readonly string[];
}

function truthFigures(scored: Iterable<RankedRow>): TruthFigures {
  let rows = 0;
  let top1 = 0;
  let top2 = 0;
  let family = 0;
  const byClass = new Map<string, { rows: number; top1: number; top2: number; instead: Map<string, number> }>();
  for (const { truth, ranked } of scored) {
    rows++;
    const c = byClass.get(truth) ?? { rows: 0, top1: 0, top2: 0, instead: new Map<string, number>() };
    byClass.set(truth, c);
    c.rows++;
    const first = ranked[0];
    if (first === truth) {
      top1++;
      c.top1++;
    } else {
      const said = first ?? '(no label)';
      c.instead.set(said, (c.instead.get(said) ?? 0) + 1);
    }
    if (ranked.slice(0, 2).includes(truth)) {
      top2++;
      c.top2++;
    }
    if (first !== undefined && familyOfClass(first) === familyOfClass(truth)) family++;
  }
  const perClass = [...byClass]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, c]): TruthClassFigures => {
      const [instead, insteadRows] = [...c.instead].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [
        null,
        0,
      ];
      return {
        label,
        rows: c.rows,
        top1: ratio(c.top1, c.rows),
        top2: ratio(c.top2, c.rows),
        mostOftenInstead: instead,
        mostOftenInsteadRows: insteadRows,
      };
    });
  return {
    rows,
    top1: ratio(top1, rows),
    top2: ratio(top2, rows),
    familyAgreement: ratio(family, rows),
    perClass,
  };
}
