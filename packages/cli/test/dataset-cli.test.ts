import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type DatasetRow } from '@osfp/dataset';
import { runOsfp as osfp } from './support/run-osfp.ts';
import { PROVENANCE, row, run } from '@osfp/dataset/testing';

describe('osfp dataset', { timeout: 60_000 }, () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osfp-dataset-cli-'));
    const store = await openStore(dir);
    await store.registerRun({ ...run('r1'), provenance: PROVENANCE });
    const rows: DatasetRow[] = Array.from({ length: 12 }, (_, i) => row('r1', i));
    await store.writeBatch('r1', 'b1', rows);
    await store.close();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('builds, lists, shows, relabels, diffs, exports and verifies', async () => {
    const dd = ['--data-dir', dir];
    const built = await osfp('dataset', 'build', 'web', '--from', 'r1', '--csv', ...dd);
    expect(built).toMatchObject({ code: 0, err: '' });
    expect(built.out).toMatch(/^web@1: 12 rows, content sha256 [0-9a-f]{64}/);

    const ls = await osfp('dataset', 'ls', ...dd);
    expect(ls.out).toMatch(/web@1\s+12/);

    const show = await osfp('dataset', 'show', 'web', ...dd);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/class histogram:[\s\S]*Linux 4\.X\s+8\s+66\.7%[\s\S]*Windows 2016\s+4\s+33\.3%/);
    expect(show.out).toContain('nmap 7.93');

    const relabelled = await osfp('dataset', 'relabel', 'web@1', '--taxonomy', 'default', ...dd);
    expect(relabelled).toMatchObject({ code: 0, err: '' });
    expect(relabelled.out).toMatch(/web@2: 12 rows relabelled from web@1 under taxonomy osfp-taxonomy-1/);
    const diff = await osfp('dataset', 'diff', 'web@1', 'web@2', '--json', ...dd);
    const parsed = JSON.parse(diff.out) as { added: number; removed: number; relabelled: number; unchanged: number };
    // The default taxonomy names the Windows rows "Windows 2016" and the Linux rows "Linux 4.X", as the fixtures do.
    expect(parsed).toMatchObject({ added: 0, removed: 0, relabelled: 0, unchanged: 12 });

    const out = join(dir, 'out.csv');
    const exported = await osfp('dataset', 'export', 'web', '--format', 'csv', '--out', out, ...dd);
    expect(exported.out).toContain(`web@2: 12 rows written to ${out} (csv)`);
    expect((await readFile(out, 'utf8')).split('\n')[0]).toMatch(/^run_id,ip,port,domains,/);

    expect((await osfp('dataset', 'verify', 'web@1', ...dd)).out).toMatch(/web@1: verified/);
    const csv = join(dir, 'datasets', 'web', 'v1', 'data.csv');
    await chmod(csv, 0o644);
    await writeFile(csv, 'tampered\n');
    const failed = await osfp('dataset', 'verify', 'web@1', ...dd);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/FAIL data\.csv[\s\S]*VERIFICATION FAILED/);
  });

  it('answers bad input with a clear message and exit code 2', async () => {
    const dd = ['--data-dir', dir];
    expect(await osfp('dataset', 'show', 'nope', ...dd)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown dataset "nope"/),
    });
    expect(await osfp('dataset', 'show', 'web@zz', ...dd)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/"web@zz" is not a valid version reference/),
    });
    expect(await osfp('dataset', 'build', 'web', '--from', 'r404', ...dd)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown run\(s\) r404/),
    });
    expect(await osfp('dataset', 'relabel', 'web@1', '--taxonomy', join(dir, 'missing.json'), ...dd)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--taxonomy .*missing\.json: cannot read it/),
    });
    expect((await osfp('dataset', 'export', 'web', '--format', 'xml', '--out', 'x', ...dd)).code).not.toBe(0);
    expect((await osfp('dataset', 'export', '--help')).out).toMatch(/--format <format>/);
  });
});
