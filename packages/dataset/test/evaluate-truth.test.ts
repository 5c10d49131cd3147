/**
 * `osfp dataset evaluate --truth`: the lab's truth file read strictly, and
 * Nmap's label, the models and the passive databases scored against it, on a
 * synthetic version whose truth differs from Nmap's labels where we say so.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_EVALUATE_OPTIONS,
  EvaluationInputError,
  MISSING_TRUTH_EXAMPLES,
  evaluateRows,
  evaluateVersion,
  parseGroundTruth,
  readEvaluation,
  readGroundTruth,
  renderEvaluationSummary,
  type EvaluateOptions,
  type EvaluationRow,
  type GroundTruth,
  type PassiveBaseline,
} from '../src/evaluate/index.ts';
import { syntheticRows } from '../testing/index.ts';

const OPTIONS: EvaluateOptions = { ...DEFAULT_EVALUATE_OPTIONS, trees: 10 };
const HEADER = 'ip,fingerprint,class,source,host,vendor,family,gen,type,cpe';

/** A p0f stand-in that names every Linux-looking SYN-ACK `Linux 3.x` (class Linux 3.X). */
const STUB: PassiveBaseline = {
  name: 'p0f',
  source: 'stub',
  judge: (r) =>
    r.p0f_sig.includes(':mss*10,')
      ? { kind: 'match', label: 'Linux 3.x', quality: 'exact', classes: ['Linux 3.X'], family: 'linux' }
      : { kind: 'none' },
};

/**
 * The truth of the synthetic rows: each row's personality (before label
 * noise), except that the hosts Nmap calls `Linux 3.X` (the first
 * personality) truly run `Linux 4.X`, and the last `missing` rows are not listed.
 */
function truthCsv(rows: readonly EvaluationRow[], trueClass: (row: EvaluationRow, i: number) => string, missing = 0) {
  const lines = rows
    .slice(0, rows.length - missing)
    .map((r, i) => `${r.ip},"FP ""${trueClass(r, i)}""",${trueClass(r, i)},emulated,x,v,f,g,general purpose,cpe:/o:x`);
  return `${HEADER}\n${lines.join('\n')}\n`;
}

describe('the truth file', () => {
  it('reads ip, fingerprint and class of every address (later columns are detail)', () => {
    const truth = parseGroundTruth(
      `${HEADER}\n198.18.4.1,Linux 2.6.32,Linux 2.6.X,emulated,linux26,Linux,Linux,2.6.X,general purpose,cpe:/o:linux\n` +
        `198.18.28.7,"Microsoft Windows Server 2012",Windows 2012,emulated,win2012,Microsoft,Windows,2012,general purpose,\n`,
      'truth.csv',
      'osfp-taxonomy-1',
    );
    expect(truth.source).toBe('truth.csv');
    expect(truth.taxonomy).toBe('osfp-taxonomy-1');
    expect([...truth.byIp]).toEqual([
      ['198.18.4.1', { fingerprint: 'Linux 2.6.32', cls: 'Linux 2.6.X' }],
      ['198.18.28.7', { fingerprint: 'Microsoft Windows Server 2012', cls: 'Windows 2012' }],
    ]);
    // The minimal form (just the three columns) is a truth file too.
    expect(parseGroundTruth('ip,fingerprint,class\n::1,x,Linux 5.X\n', 't').byIp.get('::1')?.cls).toBe('Linux 5.X');
  });

  it.each([
    ['an empty file', '', /t\.csv: the file is empty/],
    ['a dataset export', 'run_id,ip,port\nr1,198.18.0.1,80\n', /its header is "run_id,ip,port", not a lab truth file/],
    ['a targets list', '198.18.0.1\n198.18.0.2\n', /its header is "198\.18\.0\.1", not a lab truth file/],
    ['a header only', `${HEADER}\n`, /it lists no address/],
    ['a bad address', 'ip,fingerprint,class\nwww.example,x,Linux 3.X\n', /line 2: "www\.example" is not an IP address/],
    ['a missing class', 'ip,fingerprint,class\n198.18.0.1,x,\n', /line 2: 198\.18\.0\.1 has no class/],
    [
      'an address listed twice with two classes',
      'ip,fingerprint,class\n198.18.0.1,x,Linux 3.X\n198.18.0.1,y,embedded\n',
      /line 3: 198\.18\.0\.1 is listed twice, as "Linux 3\.X" and "embedded"/,
    ],
    ['ragged rows', 'ip,fingerprint,class\n198.18.0.1,x\n', /not a CSV file/],
  ])('refuses %s, naming the file and how to make one', (_, text, says) => {
    let error: unknown;
    try {
      parseGroundTruth(text, 't.csv');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EvaluationInputError);
    expect((error as Error).message).toMatch(says);
    expect((error as Error).message).toMatch(/^--truth t\.csv: .*; write it with `pnpm lab truth --out FILE`$/s);
  });

  it('names a file it cannot read', async () => {
    await expect(readGroundTruth('/nonexistent/truth.csv')).rejects.toThrow(
      /--truth \/nonexistent\/truth\.csv: cannot read it \(.*ENOENT.*\); write it with `pnpm lab truth/,
    );
  });
});

describe('evaluation against the truth', () => {
  // 4 personalities x 40 rows, 10 % label noise: Nmap is sometimes wrong, the truth never.
  const rows = syntheticRows({ perClass: 40, labelNoise: 0.1 });
  const personalityOf = (i: number) => ['Linux 3.X', 'Windows 2016', 'FreeBSD 11.X', 'embedded'][Math.floor(i / 40)]!;
  // The Linux 3.X personality truly is Linux 4.X (Nmap's second guess for it), as a misconfigured lab might be.
  const trueClass = (_: EvaluationRow, i: number) => (i < 40 ? 'Linux 4.X' : personalityOf(i));
  const MISSING = 12;
  const truth: GroundTruth = parseGroundTruth(truthCsv(rows, trueClass, MISSING), 'lab-truth.csv', 'osfp-taxonomy-1');
  const { report } = evaluateRows(
    rows,
    { ...OPTIONS, passive: STUB, truth },
    { name: 'synthetic', version: 1, taxonomyVersion: 'osfp-taxonomy-1' },
  );
  const t = report.truth!;

  it('counts the rows the truth file does not list, with examples, and scores the rest', () => {
    expect(t.source).toBe('lab-truth.csv');
    expect(t.rows.total).toBe(160);
    expect(t.rows.withTruth).toBe(160 - MISSING);
    expect(t.rows.withoutTruth).toBe(MISSING);
    expect(t.rows.withoutTruthExamples).toEqual(
      rows
        .slice(-MISSING)
        .slice(0, MISSING_TRUTH_EXAMPLES)
        .map((r) => r.ip),
    );
    expect(t.rows.test).toBe(report.rows.test);
    expect(t.rows.testWithTruth + t.rows.testWithoutTruth).toBe(report.rows.test);
    expect(t.classes).toEqual([
      { label: 'FreeBSD 11.X', rows: 40 },
      { label: 'Linux 4.X', rows: 40 },
      { label: 'Windows 2016', rows: 40 },
      { label: 'embedded', rows: 40 - MISSING },
    ]);
    expect(t.taxonomy).toEqual({ truth: 'osfp-taxonomy-1', version: 'osfp-taxonomy-1', note: null });
  });

  it("scores Nmap's label (top-1) and its second guess (top-2) on every row with a truth, per true class", () => {
    const scored = rows.slice(0, rows.length - MISSING).map((r, i) => ({ r, truth: trueClass(r, i) }));
    const top1 = scored.filter(({ r, truth }) => r.label === truth).length;
    const top2 = scored.filter(({ r, truth }) => r.label === truth || r.label_2 === truth).length;
    expect(t.nmap.rows).toBe(scored.length);
    expect(t.nmap.top1).toBeCloseTo(top1 / scored.length, 10);
    expect(t.nmap.top2).toBeCloseTo(top2 / scored.length, 10);
    expect(t.nmap.unlabelled).toBe(0);
    // Nmap never says Linux 4.X first for those hosts, but it is its second guess (label_2) for every one of them.
    const linux4 = t.nmap.perClass.find((c) => c.label === 'Linux 4.X')!;
    expect(linux4.rows).toBe(40);
    expect(linux4.top1).toBe(0);
    const saidLinux3 = rows.slice(0, 40).filter((r) => r.label === 'Linux 3.X').length;
    expect(linux4.top2).toBe(1);
    expect(linux4.mostOftenInstead).toBe('Linux 3.X');
    expect(linux4.mostOftenInsteadRows).toBe(saidLinux3);
    const windows = t.nmap.perClass.find((c) => c.label === 'Windows 2016')!;
    expect(windows.top1).toBeCloseTo(rows.slice(40, 80).filter((r) => r.label === 'Windows 2016').length / 40, 10);
    expect(t.nmap.familyAgreement).toBeGreaterThan(t.nmap.top1);
  });

  it('scores each model on the test rows with a truth: what it learned from Nmap shows as its error against the truth', () => {
    expect(t.models.map((m) => m.name)).toEqual(report.models.map((m) => m.name));
    const forest = t.models.find((m) => m.name === 'random-forest')!.figures;
    expect(forest.rows).toBe(t.rows.testWithTruth);
    // It learned "Linux 3.X" for the hosts that truly run Linux 4.X: wrong on all of those, right on nearly all else.
    const linux4 = forest.perClass.find((c) => c.label === 'Linux 4.X')!;
    expect(linux4.top1).toBe(0);
    expect(linux4.mostOftenInstead).toBe('Linux 3.X');
    for (const c of forest.perClass.filter((x) => x.label !== 'Linux 4.X')) expect(c.top1).toBeGreaterThan(0.8);
    expect(forest.familyAgreement).toBeGreaterThan(0.9);
    const majority = t.models.find((m) => m.name === 'majority')!.figures;
    expect(majority.top1).toBeLessThan(forest.top1);
  });

  it('scores the given and the learned-from-training databases against the truth', () => {
    expect(t.passive.map((p) => [p.name, p.builtFrom])).toEqual([['p0f', 'given']]);
    const p0f = t.passive[0]!;
    expect(p0f.test.rows).toBe(t.rows.testWithTruth);
    expect(p0f.withTruth?.rows).toBe(t.rows.withTruth);
    // It names Linux 3.X for the Linux hosts, which truly run Linux 4.X: right family, wrong class; no other match.
    expect(p0f.withTruth?.classAgreement).toBe(0);
    expect(p0f.withTruth?.matched).toBe(40);
    expect(p0f.withTruth?.familyAgreement).toBeCloseTo(40 / t.rows.withTruth, 10);

    const learned = evaluateRows(
      rows,
      {
        ...OPTIONS,
        truth,
        learnedPassive: {
          name: 'p0f-learned',
          // Learns nothing but "Windows 2016 for a window of 8192".
          learn: () => ({
            name: 'p0f-learned',
            source: 'stub',
            judge: (r) =>
              r.tcp_window === 8192
                ? {
                    kind: 'match',
                    label: 'Windows 2016',
                    quality: 'exact',
                    classes: ['Windows 2016'],
                    family: 'windows',
                  }
                : { kind: 'none' },
          }),
        },
      },
      {},
    ).report.truth!;
    expect(learned.passive.map((p) => [p.name, p.builtFrom])).toEqual([['p0f-learned', 'training-split']]);
    expect(learned.passive[0]!.withTruth).toBeNull();
    expect(learned.passive[0]!.test.classAgreement).toBeGreaterThan(0.2);
    // No taxonomy known for the version: said, not guessed.
    expect(learned.taxonomy.note).toMatch(/taxonomy of the version is not known/);
  });

  it('says when the truth and the version use different taxonomies', () => {
    const other = evaluateRows(rows, { ...OPTIONS, truth }, { taxonomyVersion: 'my-taxonomy-2' }).report.truth!;
    expect(other.taxonomy.note).toMatch(
      /truth's classes are under osfp-taxonomy-1, the version's labels under my-taxonomy-2/,
    );
  });

  it('leaves the report as it was without --truth', () => {
    const plain = evaluateRows(rows, OPTIONS).report;
    expect('truth' in plain).toBe(false);
    expect(JSON.stringify(plain.options)).not.toContain('truth');
  });
});

describe('evaluateVersion --truth', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osfp-evaluate-truth-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("stores the truth tables in report.json and report.md, names the version's taxonomy, and summarises them", async () => {
    const versionDir = join(dir, 'datasets', 'lab', 'v1');
    await mkdir(versionDir, { recursive: true });
    const rows = syntheticRows({ perClass: 20 });
    await writeParquet(join(versionDir, 'data.parquet'), rows);
    await writeFile(
      join(versionDir, 'manifest.json'),
      JSON.stringify({ dataset: 'lab', version: 1, provenance: { taxonomyVersion: 'osfp-taxonomy-0' } }),
    );
    const truthPath = join(dir, 'lab-truth.csv');
    await writeFile(
      truthPath,
      truthCsv(rows, (r) => r.label ?? '', 5),
    );
    const truth = await readGroundTruth(truthPath, 'osfp-taxonomy-1');

    await evaluateVersion(versionDir, { ...OPTIONS, passive: STUB, truth });
    const stored = (await readEvaluation(versionDir))!;
    expect(stored.report.truth?.rows).toMatchObject({ total: 80, withTruth: 75, withoutTruth: 5 });
    expect(stored.report.truth?.nmap.top1).toBe(1);
    expect(stored.report.truth?.taxonomy.note).toMatch(
      /under osfp-taxonomy-1, the version's labels under osfp-taxonomy-0/,
    );
    expect(stored.markdown).toContain(`## Against the ground truth (${truthPath})`);
    expect(stored.markdown).toMatch(/Rows: 75 of 80 have a truth .*; 5 rows' addresses are not in the truth file/);
    expect(stored.markdown).toMatch(
      /\| Nmap's label \(every row with a truth; top-2: label_2\) \| 75 \| 100\.0 % \| 100\.0 % \| 100\.0 % \|/,
    );
    expect(stored.markdown).toMatch(/\| random-forest \(test split\) \| \d+ \| \d+\.\d % \| \d+\.\d % \| \d+\.\d % \|/);
    expect(stored.markdown).toMatch(
      /\| p0f database \(every row with a truth\) \| 75 \| \d+\.\d % \| – \| \d+\.\d % \|/,
    );
    expect(stored.markdown).toContain("### Nmap's label vs truth, per true class");
    const summary = renderEvaluationSummary(stored.report, 'report.md');
    expect(summary).toMatch(/against the truth \(75 rows with one, 5 without; the truth's classes are under/);
    expect(summary).toMatch(/Nmap's label +top-1 100\.0 %, truth in top-2 100\.0 %/);
    expect(summary).toMatch(/random-forest +top-1 \d+\.\d %/);
    expect(summary).toMatch(/p0f database +class \d+\.\d %, OS family \d+\.\d % \(test split\)/);
    expect(JSON.parse(await readFile(join(versionDir, 'evaluation', 'report.json'), 'utf8')).truth.source).toBe(
      truthPath,
    );
  });
});

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
