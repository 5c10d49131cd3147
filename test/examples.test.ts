/**
 * Keeps examples/ runnable: builds a small labelled dataset the real way
 * (store, version, export to Parquet and CSV), then runs each example on the
 * export as a researcher would and checks it prints sane accuracy figures.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportVersion, openStore, type DatasetRow } from '@osfp/dataset';
import { PROVENANCE, row, run } from '@osfp/dataset/testing';
import { syntheticRows } from '@osfp/dataset/testing';

const run$ = promisify(execFile);
const root = resolve(import.meta.dirname, '..');

describe('examples/train-from-parquet.ts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osfp-examples-'));
    const store = await openStore(dir);
    await store.registerRun({ ...run('r1', 'demo'), provenance: PROVENANCE });
    const rows: DatasetRow[] = syntheticRows({ perClass: 40, labelNoise: 0.05 }).map((s, i) => row('r1', i, s));
    // A few unlabelled rows, as a real collection has: the example must skip them.
    rows.push(...[0, 1, 2].map((i) => row('r1', 500 + i, { label: null, label_status: 'no-match' })));
    await store.writeBatch('r1', 'b1', rows);
    await store.buildVersion('demo', { runs: ['r1'] });
    await store.close();
    await exportVersion(dir, 'demo', { format: 'parquet', out: join(dir, 'demo.parquet') });
    await exportVersion(dir, 'demo', { format: 'csv', out: join(dir, 'demo.csv') });
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(['demo.parquet', 'demo.csv'])('trains on the %s export and prints accuracy figures', async (file) => {
    const { stdout } = await run$(
      process.execPath,
      ['--import', 'tsx', 'examples/train-from-parquet.ts', join(dir, file), '--seed', '3'],
      {
        cwd: root,
        timeout: 60_000,
      },
    );
    expect(stdout).toMatch(/^rows: 160 labelled of 163, 4 classes$/m);
    const [, train, test] = /^train (\d+), test (\d+)$/m.exec(stdout) ?? [];
    expect(Number(train) + Number(test)).toBe(160);
    expect(Number(test)).toBeGreaterThanOrEqual(36);
    expect(Number(test)).toBeLessThanOrEqual(44);
    const top1 = Number(/top-1 accuracy: (\d\.\d+)/.exec(stdout)?.[1]);
    const balanced = Number(/balanced accuracy: (\d\.\d+)/.exec(stdout)?.[1]);
    expect(top1).toBeGreaterThan(0.8);
    expect(balanced).toBeGreaterThan(0.8);
    expect(stdout).toMatch(/Windows 2016\s+recall \d\.\d{3} \(\d+ test rows\)/);
  });

  it('says what it expects when given something else', async () => {
    await expect(
      run$(process.execPath, ['--import', 'tsx', 'examples/train-from-parquet.ts', join(dir, 'demo.txt')], {
        cwd: root,
      }),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/expected a \.parquet or \.csv export/) });
  });
});
