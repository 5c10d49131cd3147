import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_LABEL, openStore, type DatasetRow } from '@osfp/dataset';
import { PROVENANCE, row, run, syntheticRows } from '@osfp/dataset/testing';
import { parseP0fDatabase } from '@osfp/features';
import { SYNACKS_PCAP, runP0f } from '@osfp/features/testing';
import { needs } from '@osfp/test-support';
import { runOsfp as osfp } from './support/run-osfp.ts';

/** A version built the real way (store, then `osfp dataset build`) from synthetic personalities. */
async function buildDataset(dataDir: string, name: string, labelled: boolean): Promise<void> {
  const store = await openStore(dataDir);
  await store.registerRun({ ...run(`run-${name}`, name), provenance: PROVENANCE });
  const rows: DatasetRow[] = syntheticRows({ perClass: 30, labelNoise: 0.05 }).map((s, i) =>
    labelled ? row(`run-${name}`, i, s) : row(`run-${name}`, i, { ...s, ...NO_LABEL, label_status: 'skipped' }),
  );
  await store.writeBatch(`run-${name}`, 'b1', rows);
  await store.close();
  const built = await osfp('dataset', 'build', name, '--from', `run-${name}`, '--data-dir', dataDir);
  expect(built.code).toBe(0);
}

describe('osfp dataset p0f-db', { timeout: 120_000 }, () => {
  let dir: string;
  let out: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osfp-p0f-db-cli-'));
    out = join(dir, 'out');
    await mkdir(out);
    await buildDataset(dir, 'web', true);
    await buildDataset(dir, 'blank', false);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a p0f database learned from every labelled row, citing the version it came from', async () => {
    const file = join(out, 'web.fp');
    const result = await osfp('dataset', 'p0f-db', 'web', '--out', file, '--data-dir', dir);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/^web@1: 4 signatures \(0 generic\) from 120 labelled rows written to .*web\.fp/);

    const text = await readFile(file, 'utf8');
    const manifest = JSON.parse(await readFile(join(dir, 'datasets', 'web', 'v1', 'manifest.json'), 'utf8')) as {
      contentSha256: string;
      files: Record<string, { sha256: string }>;
    };
    expect(text).toContain('; dataset       web@1\n');
    expect(text).toContain(`; content       sha256 ${manifest.contentSha256} `);
    expect(text).toContain(`; data file     data.parquet sha256 ${manifest.files['data.parquet']?.sha256}\n`);
    expect(text).toContain('; taxonomy      osfp-taxonomy-1\n');
    expect(text).toContain('; labels        Nmap 7.93, nmap-os-db sha256 ');
    expect(text).toContain('osfp dataset p0f-db web@1 --split all --min-support 3 --min-purity 0.8');
    const labels = parseP0fDatabase(text, file).tcpResponse.map((s) => s.label.text);
    expect(labels.sort()).toEqual(['FreeBSD 11.X', 'Linux 3.X', 'Windows 2016', 'embedded']);
  });

  it.skipIf(needs('p0f'))('writes a file p0f 3.09b loads without a warning', async () => {
    const file = join(out, 'web-p0f.fp');
    expect((await osfp('dataset', 'p0f-db', 'web@1', '--out', file, '--data-dir', dir)).code).toBe(0);
    const p0f = runP0f(file, SYNACKS_PCAP, out);
    expect(p0f.complaints).toEqual([]);
    expect(p0f.output).toContain(`[+] Loaded 4 signatures from '${file}'.`);
  });

  it('learns from the training split of osfp dataset evaluate, the same database the evaluation scores', async () => {
    const file = join(out, 'web-train.fp');
    const result = await osfp('dataset', 'p0f-db', 'web', '--split', 'train', '--out', file, '--data-dir', dir);
    expect(result.code, result.err).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/; rows +120 in the version; learned from 89: the training split of osfp dataset evaluate/);

    const evaluation = await osfp(
      'dataset',
      'evaluate',
      'web',
      '--trees',
      '5',
      '--no-p0f',
      '--json',
      '--data-dir',
      dir,
    );
    expect(evaluation.code).toBe(0);
    const report = JSON.parse(evaluation.out) as { rows: { train: number }; learnedPassive: { source: string } };
    expect(report.rows.train).toBe(89);
    const signatures = parseP0fDatabase(text, file).tcpResponse.length;
    expect(report.learnedPassive.source).toContain(
      `(89 rows, ${signatures} signatures, --min-support 3 --min-purity 0.8)`,
    );
  });

  it('refuses bad input with a clear message and writes nothing', async () => {
    const before = (await readdir(out)).sort();
    const fail = async (args: string[], message: RegExp, code?: number) => {
      const result = await osfp('dataset', 'p0f-db', ...args, '--data-dir', dir);
      if (code === undefined) expect(result.code).not.toBe(0);
      else expect(result.code).toBe(code);
      expect(result.err).toMatch(message);
    };
    const file = join(out, 'new.fp');
    await fail(['ghost', '--out', file], /unknown dataset "ghost"/, 2);
    await fail(['web@7', '--out', file], /dataset "web" has no version 7; its versions: 1/, 2);
    await fail(['blank', '--out', file], /blank@1 has no labelled row .*label the hosts with Nmap/, 2);
    await fail(['web', '--out', join(out, 'web.fp')], /--out .*web\.fp already exists; choose another path/, 2);
    await fail(['web', '--out', join(dir, 'nowhere', 'x.fp')], /directory .*nowhere does not exist/, 2);
    await fail(['web', '--out', file, '--min-purity', '1.5'], /--min-purity must be a number above 0 and at most 1/);
    await fail(['web', '--out', file, '--min-purity', '0'], /--min-purity must be a number above 0/);
    await fail(['web', '--out', file, '--min-purity', 'most'], /--min-purity must be a number/);
    await fail(['web', '--out', file, '--min-support', '0'], /--min-support must be an integer >= 1/);
    await fail(['web', '--out', file, '--split', 'test'], /--split.*Allowed choices are all, train/);
    await fail(
      ['web', '--out', file, '--min-support', '1000'],
      /no signature of web@1 .* lower --min-support or --min-purity/,
      2,
    );
    // Not the file, not a temporary one beside it.
    expect((await readdir(out)).sort()).toEqual(before);
  });
});
