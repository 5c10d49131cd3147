import { mkdtemp, rm, mkdir, writeFile, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_EVALUATE_OPTIONS,
  EvaluationInputError,
  evaluateRows,
  familyOfClass,
  evaluateVersion,
  readEvaluation,
  parseGroundTruth,
  readEvaluationRows,
  renderEvaluationSummary,
  renderReportMarkdown,
  trainingRows,
  type EvaluateOptions,
  type EvaluationRow,
  type LearnedPassiveBaseline,
  type PassiveBaseline,
} from '../src/evaluate/index.ts';
import { PERSONALITIES, syntheticRows } from '../testing/index.ts';

// Small forests keep the suite fast; the figures asserted hold with these too.
const OPTIONS: EvaluateOptions = { ...DEFAULT_EVALUATE_OPTIONS, trees: 10 };

const modelNamed = (report: ReturnType<typeof evaluateRows>['report'], name: string) => {
  const model = report.models.find((m) => m.name === name);
  if (!model) throw new Error(`no model ${name}`);
  return model.figures;
};

describe('evaluateRows on four synthetic personalities', () => {
  const rows = syntheticRows({ perClass: [120, 80, 60, 40], labelNoise: 0.04 });
  const evaluation = evaluateRows(rows, OPTIONS, { name: 'synthetic', version: 1 });
  const { report } = evaluation;
  const predictions = [...evaluation.predictions];

  it('learns the personalities far better than the majority floor', () => {
    const forest = modelNamed(report, 'random-forest');
    const majority = modelNamed(report, 'majority');
    expect(forest.top1).toBeGreaterThan(0.85);
    expect(forest.top2).toBeGreaterThanOrEqual(forest.top1);
    expect(forest.balancedAccuracy).toBeGreaterThan(0.85);
    // Majority predicts the biggest class (120 of 300 rows, ~40 %) and has balanced accuracy 1/4.
    expect(majority.top1).toBeGreaterThan(0.3);
    expect(majority.top1).toBeLessThan(0.5);
    expect(majority.balancedAccuracy).toBeCloseTo(0.25, 5);
    expect(forest.familyAccuracy).toBeGreaterThanOrEqual(forest.top1);
  });

  it('splits every class stratified and reports a per-class table', () => {
    expect(report.classes.map((c) => c.label)).toEqual(PERSONALITIES.map((p) => p.label).sort());
    for (const c of report.classes) {
      expect(c.train + c.test).toBe(c.support);
      expect(c.test / c.support).toBeGreaterThan(0.15);
      expect(c.test / c.support).toBeLessThan(0.35);
    }
    const perClass = modelNamed(report, 'random-forest').perClass;
    expect(perClass).toHaveLength(4);
    expect(perClass.reduce((n, c) => n + c.support, 0)).toBe(report.rows.test);
    for (const c of perClass) expect(c.recall).toBeGreaterThan(0.6);
  });

  it("holds the forest's confusion matrix on the test split, consistent with its per-class figures", () => {
    const figures = modelNamed(report, 'random-forest');
    const { labels, counts } = figures.confusion;
    expect(labels).toEqual(report.classes.map((c) => c.label));
    expect(counts.flat().reduce((a, b) => a + b, 0)).toBe(report.rows.test);
    labels.forEach((label, k) => {
      const c = figures.perClass.find((p) => p.label === label)!;
      expect(counts[k]!.reduce((a, b) => a + b, 0)).toBe(c.support); // a row: the test rows of that class
      expect(counts.reduce((n, row) => n + row[k]!, 0)).toBe(c.predicted); // a column: predicted as that class
      expect(counts[k]![k]! / c.support).toBeCloseTo(c.recall, 10);
    });
    expect(renderReportMarkdown(report)).toContain('## Confusion matrix (random-forest, test split');
  });

  it('names the features that separate the personalities', () => {
    expect(report.featureImportance).toHaveLength(report.features.length);
    const top = report.featureImportance[0];
    expect(top?.importance).toBeGreaterThan(0.05);
    // TTL and window-size features tell these four apart; the constant ones (tos, ecn, olen) never can.
    for (const constant of ['ip_tos', 'ip_ecn', 'ip_olen']) {
      expect(report.featureImportance.find((f) => f.feature === constant)?.importance).toBe(0);
    }
  });

  it('leaves path-dependent and per-connection columns out of the features', () => {
    for (const excluded of ['ip_ttl', 'ip_hops', 'ip_id', 'tcp_tsval', 'tcp_options', 'p0f_sig']) {
      expect(report.features).not.toContain(excluded);
    }
  });

  it('gives every row a role and the test rows a prediction', () => {
    expect(predictions).toHaveLength(rows.length);
    const test = predictions.filter((p) => p.role === 'test');
    expect(test).toHaveLength(report.rows.test);
    expect(test.every((p) => p.model_top1 !== null && p.model_top2 !== null)).toBe(true);
    expect(predictions.filter((p) => p.role !== 'test').every((p) => p.model_top1 === null)).toBe(true);
  });
});

describe('honest evaluation', () => {
  it('is reproducible: the same seed gives the same report, another seed another split', () => {
    const rows = syntheticRows({ perClass: 40, labelNoise: 0.1 });
    const a = evaluateRows(rows, { ...OPTIONS, seed: 42 });
    const b = evaluateRows(rows, { ...OPTIONS, seed: 42 });
    const c = evaluateRows(rows, { ...OPTIONS, seed: 43 });
    expect(JSON.stringify(b.report)).toBe(JSON.stringify(a.report));
    expect([...b.predictions]).toEqual([...a.predictions]);
    expect([...c.predictions].map((p) => p.role)).not.toEqual([...a.predictions].map((p) => p.role));
  });

  it('reports classes below --min-support instead of dropping them silently', () => {
    const rows = [...syntheticRows({ perClass: 20 }), ...rareRows(3, 'OpenBSD 6.X')];
    const { report, predictions } = evaluateRows(rows, { ...OPTIONS, minSupport: 5 });
    const all = [...predictions];
    expect(report.classesBelowMinSupport).toEqual([{ label: 'OpenBSD 6.X', support: 3 }]);
    expect(report.rows.belowMinSupport).toBe(3);
    expect(report.classes.map((c) => c.label)).not.toContain('OpenBSD 6.X');
    expect(all.filter((p) => p.role === 'below-min-support')).toHaveLength(3);
  });

  it('counts unlabelled rows and never trains on them', () => {
    const rows = syntheticRows({ perClass: 20 });
    const unlabelled = rows
      .slice(0, 5)
      .map((r): EvaluationRow => ({ ...r, label: null, label_2: null, label_status: 'no-match' }));
    const { report, predictions } = evaluateRows([...rows, ...unlabelled], OPTIONS);
    const all = [...predictions];
    expect(report.rows.unlabelled).toBe(5);
    expect(report.rows.total).toBe(85);
    expect(all.filter((p) => p.role === 'unlabelled')).toHaveLength(5);
  });

  it('refuses a dataset with a single class, saying so', () => {
    const rows = syntheticRows({ perClass: [30, 0, 0, 0] });
    expect(() => evaluateRows(rows, OPTIONS)).toThrow(EvaluationInputError);
    expect(() => evaluateRows(rows, OPTIONS)).toThrow(/single class \("Linux 3.X", 30 rows\)/);
  });

  it('refuses when fewer than two classes reach --min-support', () => {
    const rows = syntheticRows({ perClass: [30, 3, 0, 0] });
    expect(() => evaluateRows(rows, { ...OPTIONS, minSupport: 5 })).toThrow(/lower --min-support/);
  });

  it('rejects bad options by name', () => {
    const rows = syntheticRows({ perClass: 10 });
    expect(() => evaluateRows(rows, { ...OPTIONS, testFraction: 1.5 })).toThrow(/--test-fraction/);
    expect(() => evaluateRows(rows, { ...OPTIONS, minSupport: 1 })).toThrow(/--min-support/);
  });
});

describe('a passive database beside the models', () => {
  // A stand-in database that knows only TTL 64 + mss*10 windows as "Linux 3.x".
  const stub: PassiveBaseline = {
    name: 'stub',
    source: 'test',
    judge(row) {
      if (row.p0f_sig === 'garbage') return { kind: 'unreadable', reason: 'not a signature' };
      return row.p0f_sig.includes('mss*10')
        ? { kind: 'match', label: 'Linux 3.x', quality: 'exact', classes: ['Linux 3.X'], family: 'linux' }
        : { kind: 'none' };
    },
  };

  it('reports coverage and agreement with the Nmap label, overall and on the test split', () => {
    const rows = syntheticRows({ perClass: 25 });
    rows[0] = { ...(rows[0] as EvaluationRow), p0f_sig: 'garbage' };
    const { report, predictions } = evaluateRows(rows, { ...OPTIONS, passive: stub });
    const p = report.passive;
    expect(p).not.toBeNull();
    expect(p?.labelled?.rows).toBe(100);
    expect(p?.labelled?.matched).toBe(24);
    expect(p?.labelled?.unreadable).toBe(1);
    expect(p?.labelled?.classAgreement).toBeCloseTo(0.24, 5);
    expect(p?.labelled?.classAgreementWhenMatched).toBe(1);
    expect(p?.test.rows).toBe(report.rows.test);
    expect(p?.labels[0]).toEqual({ label: '(no match)', rows: 75, classes: [], agreeing: 0 });
    const linux = [...predictions].filter((x) => x.p0f_label === 'Linux 3.x');
    expect(linux).toHaveLength(24);
    expect(linux.every((x) => x.p0f_agrees === true && x.p0f_quality === 'exact')).toBe(true);
  });
});

describe('a passive database learned from the training split', () => {
  // A stand-in learner: remembers each training signature's most frequent label, knows nothing else.
  const seen: EvaluationRow[][] = [];
  const lookup: LearnedPassiveBaseline = {
    name: 'lookup',
    learn(train) {
      seen.push([...train]);
      const counts = new Map<string, Map<string, number>>();
      for (const r of train) {
        const byLabel = counts.get(r.p0f_sig) ?? new Map<string, number>();
        byLabel.set(r.label ?? '', (byLabel.get(r.label ?? '') ?? 0) + 1);
        counts.set(r.p0f_sig, byLabel);
      }
      return {
        name: 'lookup',
        source: `${train.length} training rows`,
        judge(row) {
          const byLabel = counts.get(row.p0f_sig);
          if (!byLabel) return { kind: 'none' };
          const label = [...byLabel].sort((a, b) => b[1] - a[1])[0]![0];
          return {
            kind: 'match',
            label,
            quality: 'exact',
            classes: [label],
            family: label.split(' ')[0]!.toLowerCase(),
          };
        },
      };
    },
  };
  const rows = syntheticRows({ perClass: [60, 40, 30, 20], labelNoise: 0.05 });
  const evaluation = evaluateRows(rows, { ...OPTIONS, learnedPassive: lookup });
  const { report } = evaluation;
  const predictions = [...evaluation.predictions];
  const learned = report.learnedPassive;

  it('is built once, from exactly the training rows the models learn from', () => {
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual(trainingRows(rows, OPTIONS));
    const trainRoles = new Set(['train', 'train-unused']);
    expect(seen[0]).toHaveLength(predictions.filter((p) => trainRoles.has(p.role)).length);
  });

  it('is scored on the test split against the Nmap label, and on its own training rows apart', () => {
    expect(learned?.builtFrom).toBe('training-split');
    expect(learned?.reference).toBe('nmap');
    expect(learned?.source).toBe(`${report.rows.train} training rows`);
    expect(learned?.test.rows).toBe(report.rows.test);
    expect(learned?.train?.rows).toBe(report.rows.train);
    expect(learned?.labelled).toBeNull();
    expect(learned?.labels.reduce((n, l) => n + l.rows, 0)).toBe(report.rows.test);
    expect(report.passive).toBeNull();
  });

  it('writes its verdict for every row beside the models', () => {
    const test = predictions.filter((p) => p.role === 'test');
    expect(test.every((p) => p.learned_quality === 'exact' || p.learned_quality === 'none')).toBe(true);
    const agreeing = test.filter((p) => p.learned_agrees === true).length;
    expect(agreeing / test.length).toBeCloseTo(learned?.test.classAgreement ?? -1, 10);
    expect(predictions.every((p) => p.p0f_quality === 'not-run')).toBe(true);
  });

  it('shows up in report.md and in the summary of osfp dataset show', () => {
    const md = renderReportMarkdown(report);
    expect(md).toMatch(
      /\| lookup database \(built from the training split\) \| \d+\.\d % \| – \| – \| – \| \d+\.\d % \|/,
    );
    expect(md).toMatch(/## lookup database \(built from the training split\)/);
    expect(md).toMatch(/as often as \d+\.\d % of the random forest's top-1/);
    expect(md).toContain('| training split (built from these) |');
    const summary = renderEvaluationSummary(report, 'report.md');
    expect(summary).toMatch(
      /lookup database +agrees with Nmap on the class \d+\.\d %.*learned from the training split/,
    );
  });
});

describe('evaluateVersion and readEvaluation', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osfp-evaluate-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores report.json, report.md and predictions.parquet beside the version, atomically replaced', async () => {
    const versionDir = join(dir, 'datasets', 'demo', 'v1');
    await mkdir(versionDir, { recursive: true });
    await writeParquet(join(versionDir, 'data.parquet'), syntheticRows({ perClass: 20 }));
    await writeFile(join(versionDir, 'manifest.json'), JSON.stringify({ name: 'demo', version: 1 }));
    expect(await readEvaluation(versionDir)).toBeNull();

    const first = await evaluateVersion(versionDir, OPTIONS);
    const stored = await readEvaluation(versionDir);
    expect(stored?.report).toEqual(JSON.parse(JSON.stringify(first.report)));
    expect(stored?.report.subject).toEqual({ name: 'demo', version: 1 });
    expect(stored?.markdown).toMatch(/# Evaluation of name demo, version 1/);
    expect(stored?.markdown).toMatch(/\| random-forest \| \d+\.\d %/);

    // Read back by a different Parquet implementation than the writer (DuckDB wrote it).
    const file = await asyncBufferFromFile(join(versionDir, 'evaluation', 'predictions.parquet'));
    const predictions = await parquetReadObjects({ file });
    expect(predictions).toHaveLength(80);
    expect(Object.keys(predictions[0] ?? {})).toEqual(
      expect.arrayContaining(['ip', 'port', 'label', 'role', 'p0f_label', 'learned_label', 'model_top1', 'model_top2']),
    );

    await evaluateVersion(versionDir, { ...OPTIONS, seed: 9 });
    expect((await readEvaluation(versionDir))?.report.options.seed).toBe(9);
    // No temporary directories are left behind; the version's own files are untouched.
    expect((await readdir(versionDir)).sort()).toEqual(['data.parquet', 'evaluation', 'manifest.json']);
  });

  it('reads a version into a columnar table that gives back every row, and the same report as the rows', async () => {
    const rows = syntheticRows({ perClass: [30, 20, 15, 10], labelNoise: 0.05 });
    rows[3] = { ...(rows[3] as EvaluationRow), label: null, label_2: null, label_status: 'no-match', tcp_mss: null };
    const path = join(dir, 'table.parquet');
    await writeParquet(path, rows);
    const table = await readEvaluationRows(path);
    expect(table.length).toBe(rows.length);
    expect(Array.from({ length: table.length }, (_, i) => table.at(i))).toEqual(rows);
    expect(table.at(rows.length)).toBeUndefined();
    const fromTable = evaluateRows(table, OPTIONS);
    const fromRows = evaluateRows(rows, OPTIONS);
    expect(JSON.stringify(fromTable.report)).toBe(JSON.stringify(fromRows.report));
    expect([...fromTable.predictions]).toEqual([...fromRows.predictions]);
  });

  it('gives the same report from the table as from the rows with a learned database and a ground truth too', async () => {
    const rows = syntheticRows({ perClass: [30, 20, 15, 10], labelNoise: 0.05 });
    const path = join(dir, 'table-truth.parquet');
    await writeParquet(path, rows);
    const table = await readEvaluationRows(path);
    // The personality each address truly runs; the last three addresses are not listed.
    const truthText = [
      'ip,fingerprint,class',
      ...rows.slice(0, -3).map((r, i) => `${r.ip},fp${i % 4},${PERSONALITIES[i % 4]?.label ?? 'x'}`),
    ].join('\n');
    const byWindow: LearnedPassiveBaseline = {
      name: 'by-window',
      learn(train) {
        const labelOf = new Map<number, string>();
        for (const r of train) if (r.label) labelOf.set(r.tcp_window, r.label);
        return {
          name: 'by-window',
          source: `${train.length} training rows`,
          judge: (r) => {
            const label = labelOf.get(r.tcp_window);
            return label === undefined
              ? { kind: 'none' }
              : { kind: 'match', label, quality: 'exact', classes: [label], family: familyOfClass(label) };
          },
        };
      },
    };
    const options: EvaluateOptions = {
      ...OPTIONS,
      learnedPassive: byWindow,
      truth: parseGroundTruth(truthText, 'truth.csv', null),
    };
    const fromTable = evaluateRows(table, options);
    const fromRows = evaluateRows(rows, options);
    expect(fromTable.report.truth?.rows.withoutTruth).toBe(3);
    expect(fromTable.report.truth?.models.map((m) => m.name)).toEqual(['majority', 'random-forest']);
    expect(fromTable.report.learnedPassive?.test.rows).toBe(fromTable.report.rows.test);
    expect(JSON.stringify(fromTable.report)).toBe(JSON.stringify(fromRows.report));
    expect([...fromTable.predictions]).toEqual([...fromRows.predictions]);
  });

  it('still reads a report written before learned databases (format 1), and refuses a foreign one', async () => {
    const versionDir = join(dir, 'datasets', 'old', 'v1');
    await mkdir(versionDir, { recursive: true });
    await writeParquet(join(versionDir, 'data.parquet'), syntheticRows({ perClass: 20 }));
    const stub: PassiveBaseline = {
      name: 'p0f',
      source: 'stub',
      judge: () => ({ kind: 'none' }),
    };
    const current = (await evaluateVersion(versionDir, { ...OPTIONS, passive: stub })).report;
    const { learnedPassive: _l, passive, ...rest } = current;
    const { builtFrom: _b, reference: _r, train: _t, ...passiveV1 } = passive!;
    const v1 = { ...rest, format: 'osfp-evaluation-1', passive: passiveV1 };
    await writeFile(join(versionDir, 'evaluation', 'report.json'), JSON.stringify(v1));
    const read = await readEvaluation(versionDir);
    expect(read?.report.format).toBe('osfp-evaluation-2');
    expect(read?.report.learnedPassive).toBeNull();
    expect(read?.report.passive).toEqual({ ...passive, train: null });
    expect(renderEvaluationSummary(read!.report, 'report.md')).toMatch(/p0f database +agrees with Nmap/);

    await writeFile(join(versionDir, 'evaluation', 'report.json'), JSON.stringify({ format: 'something-else' }));
    await expect(readEvaluation(versionDir)).rejects.toThrow(
      /is not an osfp evaluation report \(format something-else\)/,
    );
  });

  it('writes the split as CSV too (ip, port, role in row order) for readers without Parquet', async () => {
    const versionDir = join(dir, 'datasets', 'split', 'v1');
    await mkdir(versionDir, { recursive: true });
    const rows = [...syntheticRows({ perClass: 20 }), ...rareRows(3, 'Solaris 11')];
    rows.push({ ...(rows[0] as EvaluationRow), ip: '198.18.9.9', label: null, label_status: 'no-match' });
    await writeParquet(join(versionDir, 'data.parquet'), rows);
    const { predictions } = await evaluateVersion(versionDir, OPTIONS);

    const csv = await readFile(join(versionDir, 'evaluation', 'split.csv'), 'utf8');
    const [header, ...lines] = csv.trimEnd().split('\n');
    expect(header).toBe('ip,port,role');
    expect(lines).toEqual([...predictions].map((p) => `${p.ip},${p.port},${p.role}`));
    // The version's row order, so a CSV export of the version lines up with it row for row.
    expect(lines.map((l) => l.split(',').slice(0, 2).join(','))).toEqual(rows.map((r) => `${r.ip},${r.port}`));
    const roles = new Set(lines.map((l) => l.split(',')[2]));
    expect(roles).toEqual(new Set(['train', 'test', 'below-min-support', 'unlabelled']));
  });

  it('names a missing or foreign data file', async () => {
    await expect(evaluateVersion(join(dir, 'nope'), OPTIONS)).rejects.toThrow(/data\.parquet does not exist/);
    const foreign = join(dir, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'data.parquet'), 'not parquet at all');
    await expect(evaluateVersion(foreign, OPTIONS)).rejects.toThrow(/cannot read .*data\.parquet as Parquet/);
  });
});

function rareRows(n: number, label: string): EvaluationRow[] {
  return syntheticRows({ perClass: [n, 0, 0, 0], seed: 99 }).map((r) => ({ ...r, label, ip_ittl: 255 }));
}

/** Writes rows as Parquet with DuckDB, the way a version's data.parquet is written. */
async function writeParquet(path: string, rows: readonly EvaluationRow[]): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const json = join(path, '..', 'rows.json');
    await writeFile(json, JSON.stringify(rows));
    await conn.run(`COPY (SELECT * FROM read_json('${json}')) TO '${path}' (FORMAT parquet)`);
    await rm(json);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
