/**
 * Keeps examples/python/ runnable and honest: builds a dataset version from a
 * few thousand synthetic rows, runs `osfp dataset evaluate` and `osfp dataset
 * export --format csv` on it as a user would, then runs train.py (and the
 * notebook's code) with Debian's scikit-learn and pandas, and checks its
 * figures against the report: on osfp's own split, the majority floor must
 * match exactly (same rows, same scoring) and the scikit-learn forest must be
 * within 3 points of osfp's forest on top-1, top-2 and balanced accuracy.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COLUMNS,
  FEATURE_NAMES,
  FLOW_COLUMNS,
  openStore,
  type DatasetRow,
  type EvaluationReport,
  type ModelFigures,
} from '@osfp/dataset';
import { PROVENANCE, row, run, syntheticRows } from '@osfp/dataset/testing';
import { needs, pythonWith } from '@osfp/test-support';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const SCRIPT = join(root, 'examples', 'python', 'train.py');
const NOTEBOOK = join(root, 'examples', 'python', 'train.ipynb');

/** What train.py --json prints. */
interface ScriptOutput {
  split: string;
  rows: Record<'total' | 'labelled' | 'train' | 'train-unused' | 'test' | 'below-min-support' | 'unlabelled', number>;
  features: string[];
  models: { name: string; top1: number; top2: number; balanced_accuracy: number; seconds: number }[];
  osfp: {
    model: string;
    osfp: { top1: number; top2: number; balancedAccuracy: number };
    differencePoints: { top1: number; top2: number; balancedAccuracy: number };
  }[];
}

const MODELS = ['majority', 'random-forest', 'gradient-boosting', 'svm', 'neural-network'];
// 4 synthetic personalities of unequal size with 5 % wrong labels, 3 rows of a class below --min-support, 5 unlabelled.
const PER_CLASS = [1200, 800, 600, 300];
const TOTAL = 2900 + 3 + 5;

describe.skipIf(needs('sklearn'))('examples/python/train.py on a CSV export', { timeout: 120_000 }, () => {
  const python = pythonWith('sklearn', 'pandas') ?? 'python3';
  // One thread for the numeric libraries: the machine is shared, and OpenMP threads spin against other work.
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' };
  const train = (...args: string[]) => exec(python, [SCRIPT, ...args], { cwd: root, env, timeout: 110_000 });
  let dir: string;
  let csv: string;
  let evaluationDir: string;
  let report: EvaluationReport;
  let onOsfpSplit: { out: ScriptOutput; stderr: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osfp-python-example-'));
    const store = await openStore(dir);
    await store.registerRun({ ...run('r1', 'synth'), provenance: PROVENANCE });
    const rows: DatasetRow[] = syntheticRows({ perClass: PER_CLASS, labelNoise: 0.05 }).map((s, i) => row('r1', i, s));
    const rare = syntheticRows({ perClass: [3, 0, 0, 0], seed: 99 }).map((s, k) =>
      row('r1', 3000 + k, { ...s, ip: `198.19.0.${k + 1}`, label: 'OpenBSD 6.X' }),
    );
    const unlabelled = [0, 1, 2, 3, 4].map((k) =>
      row('r1', 3100 + k, { ip: `198.19.1.${k + 1}`, label: null, label_2: null, label_status: 'no-match' }),
    );
    await store.writeBatch('r1', 'b1', [...rows, ...rare, ...unlabelled]);
    await store.buildVersion('synth', { runs: ['r1'] });
    await store.close();

    await osfp('dataset', 'evaluate', 'synth', '--no-p0f', '--data-dir', dir);
    csv = join(dir, 'synth.csv');
    await osfp('dataset', 'export', 'synth', '--format', 'csv', '--out', csv, '--data-dir', dir);
    evaluationDir = join(dir, 'datasets', 'synth', 'v1', 'evaluation');
    report = JSON.parse(await readFile(join(evaluationDir, 'report.json'), 'utf8')) as EvaluationReport;
    const { stdout, stderr } = await train(
      csv,
      '--split',
      join(evaluationDir, 'split.csv'),
      '--threads',
      '1',
      '--json',
    );
    onOsfpSplit = { out: JSON.parse(stdout) as ScriptOutput, stderr };
  }, 300_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("trains on osfp's split: the same rows and features, the forest within 3 points of osfp's", async () => {
    const { out, stderr } = onOsfpSplit;
    expect(stderr).toContain(`osfp's split from ${join(evaluationDir, 'split.csv')}`);

    expect(out.features).toEqual(report.features);
    expect(out.rows).toEqual({
      total: TOTAL,
      labelled: TOTAL - 5,
      train: report.rows.trainUsed,
      'train-unused': report.rows.train - report.rows.trainUsed,
      test: report.rows.test,
      'below-min-support': 3,
      unlabelled: 5,
    });
    expect(out.models.map((m) => m.name)).toEqual(MODELS);

    // The floor predicts from training frequencies alone: equal figures mean the same rows, classes and scoring.
    const majority = figuresOf(out, 'majority');
    const osfpMajority = osfpModel(report, 'majority');
    expect(majority.top1).toBeCloseTo(osfpMajority.top1, 12);
    expect(majority.top2).toBeCloseTo(osfpMajority.top2, 12);
    expect(majority.balanced_accuracy).toBeCloseTo(osfpMajority.balancedAccuracy, 12);

    const forest = figuresOf(out, 'random-forest');
    const osfpForest = osfpModel(report, 'random-forest');
    expect(Math.abs(forest.top1 - osfpForest.top1)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(forest.top2 - osfpForest.top2)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(forest.balanced_accuracy - osfpForest.balancedAccuracy)).toBeLessThanOrEqual(0.03);
    // The script's own comparison says the same.
    const compared = out.osfp.find((c) => c.model === 'random-forest');
    expect(compared?.osfp).toEqual({
      top1: osfpForest.top1,
      top2: osfpForest.top2,
      balancedAccuracy: osfpForest.balancedAccuracy,
    });
    expect(compared?.differencePoints.top1).toBeCloseTo(100 * (forest.top1 - osfpForest.top1), 1);

    // Every model learns the personalities: far above the floor, at most the wrong-label share below perfect.
    for (const name of MODELS.slice(1)) {
      const m = figuresOf(out, name);
      expect(m.top1, name).toBeGreaterThan(0.9);
      expect(m.top2, name).toBeGreaterThanOrEqual(m.top1);
      expect(m.balanced_accuracy, name).toBeGreaterThan(0.88);
    }
  });

  it('finds split.csv next to the export by itself, and prints a table with the comparison', async () => {
    const beside = join(dir, 'beside');
    await mkdir(beside);
    await copyFile(csv, join(beside, 'synth.csv'));
    await copyFile(join(evaluationDir, 'split.csv'), join(beside, 'split.csv'));
    const json = await train(join(beside, 'synth.csv'), '--json');
    expect(json.stderr).toContain(`osfp's split from ${join(beside, 'split.csv')}`);
    expect(json.stderr).toContain(`no osfp report.json beside ${join(beside, 'split.csv')}: nothing to compare with`);
    const out = JSON.parse(json.stdout) as ScriptOutput;
    // Same split, same seed: the same figures as with --split.
    expect(withoutTimes(out)).toEqual(withoutTimes(onOsfpSplit.out));

    // Without report.json beside the split there is nothing to compare with; with the evaluation dir there is.
    const table = await train(csv, '--split', join(evaluationDir, 'split.csv'));
    expect(table.stdout).toMatch(/^random-forest\s+\d+\.\d % +\d+\.\d % +\d+\.\d %/m);
    expect(table.stdout).toMatch(/^osfp random-forest\s+\d+\.\d %/m);
    expect(table.stdout).toMatch(/^ {2}difference\s+[+-]\d+\.\d/m);
    expect(table.stdout).not.toContain('more than 3 points from osfp');
  });

  it('without a split file, makes its own seeded stratified split and says so', async () => {
    const { stdout, stderr } = await train(csv, '--no-split', '--seed', '1', '--json');
    expect(stderr).toMatch(/--no-split: own seeded stratified split \(seed 1\), not osfp's/);
    const out = JSON.parse(stdout) as ScriptOutput;
    expect(out.split).toBe('own seeded stratified split (seed 1)');
    expect(out.osfp).toEqual([]);
    // osfp's rules: the rare class and unlabelled rows are left out, a quarter of every class is held out.
    expect(out.rows['below-min-support']).toBe(3);
    expect(out.rows.unlabelled).toBe(5);
    expect(out.rows.train + out.rows.test).toBe(2900);
    expect(Math.abs(out.rows.test - 725)).toBeLessThanOrEqual(4);
    for (const name of MODELS.slice(1)) expect(figuresOf(out, name).top1, name).toBeGreaterThan(0.9);
  });

  it('reads the Parquet export when pyarrow or fastparquet is importable, else says what to install', async () => {
    const parquet = join(dir, 'synth.parquet');
    await osfp('dataset', 'export', 'synth', '--format', 'parquet', '--out', parquet, '--data-dir', dir);
    const canReadParquet = ['pyarrow', 'fastparquet'].some((m) => importable(python, m));
    const split = join(evaluationDir, 'split.csv');
    if (canReadParquet) {
      const out = JSON.parse((await train(parquet, '--split', split, '--json')).stdout) as ScriptOutput;
      expect(withoutTimes(out)).toEqual(withoutTimes(onOsfpSplit.out));
    } else {
      await expect(train(parquet, '--split', split)).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(
          /reading Parquet needs pyarrow or fastparquet.*or export CSV instead: pnpm osfp dataset export NAME --format csv/,
        ),
      });
    }
  });

  it('refuses what is not an export, or a split of another version, saying what to do', async () => {
    await expect(train(join(dir, 'synth.txt'))).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/expected a \.csv or \.parquet export/),
    });
    const other = join(dir, 'other-split.csv');
    await copyFile(join(evaluationDir, 'split.csv'), other);
    const lines = (await readFile(other, 'utf8')).split('\n');
    await writeFile(other, [lines[0], ...lines.slice(2)].join('\n'));
    await expect(train(csv, '--split', other)).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /has no role for 1 of the export's 2908 rows: it belongs to another dataset version/,
      ),
    });
  });

  it("the notebook's code runs (cleared outputs) and prints the same comparison", async () => {
    const notebook = JSON.parse(await readFile(NOTEBOOK, 'utf8')) as {
      cells: { cell_type: string; source: string[]; outputs?: unknown[]; execution_count?: number | null }[];
    };
    const code = notebook.cells.filter((c) => c.cell_type === 'code');
    for (const cell of code) {
      expect(cell.outputs).toEqual([]);
      expect(cell.execution_count).toBeNull();
    }
    const source = code.map((c) => c.source.join('')).join('\n\n');
    const { stdout } = await exec(python, ['-c', source], {
      cwd: join(root, 'examples', 'python'),
      env: { ...env, OSFP_EXPORT: csv, OSFP_SPLIT: join(evaluationDir, 'split.csv') },
      timeout: 110_000,
    });
    expect(stdout).toMatch(/^osfp random-forest\s+\d+\.\d %/m);
  });

  it("types the CSV's columns as the schema does and uses osfp's feature list", async () => {
    const { stdout } = await exec(
      python,
      ['-c', 'import json, train; print(json.dumps({"columns": train.COLUMN_TYPES, "features": train.FEATURES}))'],
      { cwd: join(root, 'examples', 'python'), env },
    );
    const fromScript = JSON.parse(stdout) as { columns: Record<string, [string, boolean]>; features: string[] };
    expect(fromScript.columns).toEqual(
      Object.fromEntries([...COLUMNS, ...FLOW_COLUMNS].map((c) => [c.name, [c.type, c.nullable]])),
    );
    expect(fromScript.features).toEqual(FEATURE_NAMES);
  });
});

async function osfp(...args: string[]): Promise<void> {
  await exec(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    cwd: root,
    timeout: 280_000,
  });
}

function importable(python: string, module: string): boolean {
  try {
    execFileSync(python, ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const withoutTimes = (out: ScriptOutput) => out.models.map(({ seconds: _, ...figures }) => figures);

function figuresOf(out: ScriptOutput, name: string): ScriptOutput['models'][number] {
  const model = out.models.find((m) => m.name === name);
  if (!model) throw new Error(`train.py printed no figures for ${name}`);
  return model;
}

function osfpModel(report: EvaluationReport, name: string): ModelFigures {
  const model = report.models.find((m) => m.name === name);
  if (!model) throw new Error(`osfp's report has no model ${name}`);
  return model.figures;
}
