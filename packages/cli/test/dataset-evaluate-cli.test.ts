import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type DatasetRow } from '@osfp/dataset';
import { runOsfp as osfp } from './support/run-osfp.ts';
import { PROVENANCE, row, run } from '@osfp/dataset/testing';
import { syntheticRows } from '@osfp/dataset/testing';
import { needs } from '@osfp/test-support';

/** A dataset version built the real way (store, then `osfp dataset build`) from synthetic personalities. */
async function buildDataset(
  dataDir: string,
  name: string,
  perClass: number | number[],
  labelNoise: number,
): Promise<void> {
  const store = await openStore(dataDir);
  await store.registerRun({ ...run(`run-${name}`, name), provenance: PROVENANCE });
  const rows: DatasetRow[] = syntheticRows({ perClass, labelNoise }).map((s, i) => row(`run-${name}`, i, s));
  await store.writeBatch(`run-${name}`, 'b1', rows);
  await store.close();
  const built = await osfp('dataset', 'build', name, '--from', `run-${name}`, '--data-dir', dataDir);
  expect(built.code).toBe(0);
}

describe('osfp dataset evaluate', { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osfp-evaluate-cli-'));
    await buildDataset(dir, 'web', 30, 0.05);
    await buildDataset(dir, 'mono', [20, 0, 0, 0], 0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints and stores the report; the same seed gives the same report; verify still passes', async () => {
    const first = await osfp('dataset', 'evaluate', 'web', '--trees', '5', '--no-p0f', '--data-dir', dir);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/\| random-forest \| \d+\.\d % \| \d+\.\d % \| \d+\.\d % \|/);
    expect(first.out).toContain('## Per class (random-forest, test split)');
    expect(first.err).toMatch(/evaluation stored in .*web[/\\]v1[/\\]evaluation/);
    const stored = await readFile(join(dir, 'datasets', 'web', 'v1', 'evaluation', 'report.json'), 'utf8');

    const again = await osfp('dataset', 'evaluate', 'web@1', '--trees', '5', '--no-p0f', '--json', '--data-dir', dir);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toEqual(JSON.parse(stored));
    expect(JSON.parse(stored).models[1].figures.top1).toBeGreaterThan(0.8);
    // The p0f database learned from the training split is scored beside them, with no p0f.fp needed.
    expect(first.out).toMatch(
      /\| p0f-learned database \(built from the training split\) \| \d+\.\d % \| – \| – \| – \| \d+\.\d % \|/,
    );
    expect(JSON.parse(stored).learnedPassive.test.classAgreement).toBeGreaterThan(0.8);

    const verify = await osfp('dataset', 'verify', 'web', '--data-dir', dir);
    expect(verify.code).toBe(0);

    const show = await osfp('dataset', 'show', 'web', '--data-dir', dir);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/evaluation \(seed 1, \d+ test rows; full report: .*report\.md\):/);
    expect(show.out).toMatch(/random-forest\s+top-1 \d+\.\d %, top-2 \d+\.\d %, balanced \d+\.\d %/);
    expect(show.out).toMatch(
      /p0f-learned database agrees with Nmap on the class \d+\.\d %.*learned from the training split/,
    );

    const without = await osfp(
      'dataset',
      'evaluate',
      'web',
      '--trees',
      '5',
      '--no-p0f',
      '--no-p0f-learned',
      '--json',
      '--data-dir',
      dir,
    );
    expect(without.code).toBe(0);
    expect(JSON.parse(without.out).learnedPassive).toBeNull();
  });

  it.skipIf(needs('p0f'))("puts p0f's verdicts beside the models", async () => {
    const result = await osfp('dataset', 'evaluate', 'web', '--trees', '5', '--json', '--data-dir', dir);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out) as {
      passive: {
        source: string;
        labelled: { rows: number; matched: number };
        labels: { label: string; rows: number }[];
      };
    };
    expect(report.passive.source).toBe('/etc/p0f/p0f.fp');
    expect(report.passive.labelled.rows).toBe(120);
    // The synthetic Linux rows carry p0f's own Linux 3.x signature; FreeBSD rows its FreeBSD 9.x one.
    expect(report.passive.labels.map((l) => l.label)).toEqual(
      expect.arrayContaining(['Linux 3.x', 'FreeBSD 9.x', 'Windows 7 or 8']),
    );
    const md = await readFile(join(dir, 'datasets', 'web', 'v1', 'evaluation', 'report.md'), 'utf8');
    expect(md).toMatch(/\| p0f database \| \d+\.\d % \| – \| – \| – \| \d+\.\d % \|/);
  });

  it('adds the tables against a truth file (--truth) to the report and the summary', async () => {
    // The truth of every host but the last two: Nmap's label, except that the Linux hosts truly run Linux 4.X.
    const rows = syntheticRows({ perClass: 30, labelNoise: 0.05 });
    const truthFile = join(dir, 'lab-truth.csv');
    const lines = rows.slice(0, -2).map((r, i) => `${r.ip},synthetic,${i < 30 ? 'Linux 4.X' : r.label}`);
    await writeFile(truthFile, `ip,fingerprint,class\n${lines.join('\n')}\n`);

    const result = await osfp(
      'dataset',
      'evaluate',
      'web',
      '--trees',
      '5',
      '--no-p0f',
      '--truth',
      truthFile,
      '--data-dir',
      dir,
    );
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain(`## Against the ground truth (${truthFile})`);
    expect(result.out).toMatch(/Rows: 118 of 120 have a truth .*; 2 rows' addresses are not in the truth file/);
    // The version was labelled under the lab's taxonomy.
    expect(result.out).toContain('Taxonomy: truth osfp-taxonomy-1, version osfp-taxonomy-1 (the same).');
    expect(result.out).toMatch(/\| Linux 4\.X \| 30 \| 0\.0 % \| 100\.0 % \| Linux 3\.X \(\d+\) \|/);
    expect(result.out).toMatch(/\| p0f-learned database \(built from the training split\) \(test split\) \| \d+ \|/);
    const report = JSON.parse(await readFile(join(dir, 'datasets', 'web', 'v1', 'evaluation', 'report.json'), 'utf8'));
    expect(report.truth.rows).toMatchObject({ total: 120, withTruth: 118, withoutTruth: 2 });
    expect([...report.truth.rows.withoutTruthExamples].sort()).toEqual(
      rows
        .slice(-2)
        .map((r) => r.ip)
        .sort(),
    );

    const show = await osfp('dataset', 'show', 'web', '--data-dir', dir);
    expect(show.out).toMatch(/against the truth \(118 rows with one, 2 without\):/);
    expect(show.out).toMatch(/Nmap's label +top-1 \d+\.\d %, truth in top-2 \d+\.\d %/);
  });

  it('refuses a single-class dataset, a bad option and a missing p0f database, saying what to do', async () => {
    const mono = await osfp('dataset', 'evaluate', 'mono', '--no-p0f', '--data-dir', dir);
    expect(mono.code).toBe(2);
    expect(mono.err).toMatch(/single class \("Linux 3\.X", 20 rows\)/);

    const bad = await osfp('dataset', 'evaluate', 'web', '--test-fraction', '2', '--data-dir', dir);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--test-fraction.*between 0 and 1/);

    const noDb = await osfp('dataset', 'evaluate', 'web', '--p0f-db', join(dir, 'nope.fp'), '--data-dir', dir);
    expect(noDb.code).toBe(2);
    expect(noDb.err).toMatch(/cannot read the p0f database .*nope\.fp.*--no-p0f/);

    const unknown = await osfp('dataset', 'evaluate', 'ghost', '--data-dir', dir);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown dataset "ghost"/);
  });
});
