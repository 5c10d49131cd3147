import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import {
  COLUMNS,
  DatasetInputError,
  diffVersions,
  exportVersion,
  listDatasets,
  openStore,
  parseVersionRef,
  relabelVersion,
  showVersion,
  unlabelledFields,
  verifyVersion,
  type DatasetStore,
  type LabelFields,
} from '../src/index.ts';
import { PROVENANCE, row, rows, run, withDataDir } from '../testing/index.ts';

async function storeWith(dir: string, fill: (s: DatasetStore) => Promise<void>): Promise<DatasetStore> {
  const store = await openStore(dir);
  await fill(store);
  return store;
}

describe('versions', () => {
  it('builds immutable versions with a complete manifest and a reproducible content hash', () =>
    withDataDir(async (dir) => {
      const store = await storeWith(dir, async (s) => {
        await s.registerRun(run('r1'));
        await s.writeBatch('r1', 'b2', rows('r1', 50, 100));
        await s.writeBatch('r1', 'b1', rows('r1', 0, 50));
      });
      try {
        const counts = { targets_read: 120, probed: 110, responsive: 100, labelled: 100, written: 100 };
        const v1 = await store.buildVersion('web', {
          runs: ['r1'],
          provenance: PROVENANCE,
          counts,
          formats: ['parquet', 'csv'],
        });
        const v2 = await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE, counts });
        expect(v1.version).toBe(1);
        expect(v1.parent).toBeNull();
        expect(v2.version).toBe(2);
        expect(v2.parent).toBe(1);
        expect(v2.contentSha256).toBe(v1.contentSha256);
        expect(v1.rows).toBe(100);
        expect(v1.counts).toEqual(counts);
        expect(v1.runs).toEqual([
          {
            runId: 'r1',
            startedAt: '2026-01-02T03:04:05.000Z',
            targetsFile: 'targets.txt',
            targetsSha256: 'b'.repeat(64),
            options: { rate: 100, label: 'nmap' },
          },
        ]);
        expect(v1.provenance).toEqual(PROVENANCE);
        expect(v1.schema.columns.map((c) => c.name)).toEqual(COLUMNS.map((c) => c.name));
        expect(v1.classHistogram).toEqual([
          { label: 'Linux 4.X', count: 66 },
          { label: 'Windows 2016', count: 34 },
        ]);
        expect(Object.keys(v1.files).sort()).toEqual(['data.csv', 'data.parquet']);
        const vdir = join(dir, 'datasets', 'web', 'v1');
        expect((await readdir(vdir)).sort()).toEqual(['data.csv', 'data.parquet', 'manifest.json']);
        for (const f of ['data.csv', 'data.parquet', 'manifest.json'])
          expect((await stat(join(vdir, f))).mode & 0o777).toBe(0o444);
        expect(await readdir(join(dir, 'datasets', 'web'))).toEqual(
          expect.not.arrayContaining([expect.stringMatching(/^\./)]),
        );
        expect(await showVersion(dir, 'web@1')).toEqual(v1);
        expect((await showVersion(dir, 'web')).version).toBe(2);
        const listed = await listDatasets(dir);
        expect(listed.map((d) => [d.name, d.versions.map((v) => v.version)])).toEqual([['web', [1, 2]]]);

        const ok = await verifyVersion(dir, 'web@1');
        expect(ok.problems).toEqual([]);
        expect(ok.ok).toBe(true);
        expect(ok.contentSha256.actual).toBe(v1.contentSha256);
      } finally {
        await store.close();
      }
    }));

  it('verify detects a changed, missing or extra file', () =>
    withDataDir(async (dir) => {
      const store = await storeWith(dir, async (s) => {
        await s.registerRun(run('r1'));
        await s.writeBatch('r1', 'b1', rows('r1', 0, 20));
      });
      await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE, formats: ['csv'] });
      await store.close();
      const vdir = join(dir, 'datasets', 'web', 'v1');
      const csv = join(vdir, 'data.csv');
      await chmod(csv, 0o644);
      await writeFile(csv, (await readFile(csv, 'utf8')).replace('Linux 4.X', 'Linux 5.X'));
      await writeFile(join(vdir, 'notes.txt'), 'hi');
      const bad = await verifyVersion(dir, 'web@1');
      expect(bad.ok).toBe(false);
      expect(bad.files.find((f) => f.name === 'data.csv')?.ok).toBe(false);
      expect(bad.problems.join('\n')).toMatch(/data\.csv changed/);
      expect(bad.problems.join('\n')).toMatch(/data\.csv is writable/);
      expect(bad.problems.join('\n')).toMatch(/notes\.txt is not part of the version/);
      // The Parquet file is intact, so the content hash still matches.
      expect(bad.contentSha256.ok).toBe(true);
    }));

  it('writes Parquet that another implementation (hyparquet) reads back value for value', () =>
    withDataDir(async (dir) => {
      const source = rows('r1', 0, 30);
      const store = await storeWith(dir, async (s) => {
        await s.registerRun(run('r1'));
        await s.writeBatch('r1', 'b1', source);
      });
      await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
      await store.close();
      const file = await asyncBufferFromFile(join(dir, 'datasets', 'web', 'v1', 'data.parquet'));
      const back = (await parquetReadObjects({ file })) as Record<string, unknown>[];
      expect(back).toHaveLength(30);
      const byIp = new Map(back.map((r) => [r['ip'], r]));
      for (const want of source) {
        const got = byIp.get(want.ip);
        expect(got, want.ip).toBeDefined();
        for (const c of COLUMNS) {
          const value = got?.[c.name];
          const expected = want[c.name];
          if (c.type === 'TIMESTAMP') expect((value as Date).getTime(), c.name).toBe((expected as Date).getTime());
          else if (c.type === 'BIGINT') expect(value === null ? null : Number(value as bigint), c.name).toBe(expected);
          else expect(value, c.name).toEqual(expected);
        }
      }
    }));

  it('exports CSV whose list and JSON columns survive a standard CSV parser', () =>
    withDataDir(async (dir) => {
      const source = rows('r1', 0, 10);
      const store = await storeWith(dir, async (s) => {
        await s.registerRun(run('r1'));
        await s.writeBatch('r1', 'b1', source);
      });
      await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
      await store.close();
      const out = join(dir, 'web.csv');
      const result = await exportVersion(dir, 'web', { format: 'csv', out });
      expect(result).toEqual({ ref: 'web@1', format: 'csv', path: out, rows: 10 });
      const records = parse(await readFile(out, 'utf8'), { columns: true }) as Record<string, string>[];
      expect(Object.keys(records[0] ?? {})).toEqual(COLUMNS.map((c) => c.name));
      const byIp = new Map(records.map((r) => [r['ip'], r]));
      for (const want of source) {
        const got = byIp.get(want.ip);
        expect(JSON.parse(got?.['domains'] ?? 'null')).toEqual(want.domains);
        expect(JSON.parse(got?.['nmap_guesses'] ?? 'null')).toEqual(JSON.parse(want.nmap_guesses ?? 'null'));
        expect(got?.['http_server']).toBe(want.http_server ?? '');
        expect(got?.['probed_at']).toBe(want.probed_at.toISOString().replace('Z', '000Z'));
        expect(got?.['tcp_tsval']).toBe(String(want.tcp_tsval));
      }
      // Parquet export is the version's own file, byte for byte.
      const pq = join(dir, 'web.parquet');
      await exportVersion(dir, 'web@1', { format: 'parquet', out: pq });
      expect(await readFile(pq)).toEqual(await readFile(join(dir, 'datasets', 'web', 'v1', 'data.parquet')));
      await expect(exportVersion(dir, 'web@1', { format: 'parquet', out: pq })).rejects.toThrow(/already exists/);
      expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    }));

  it('diffs two versions: added, removed, relabelled and the histogram change', () =>
    withDataDir(async (dir) => {
      const store = await storeWith(dir, async (s) => {
        await s.registerRun(run('r1'));
        await s.registerRun({ ...run('r2'), startedAt: new Date('2026-02-01T00:00:00Z') });
        await s.writeBatch('r1', 'b1', rows('r1', 0, 10));
        // r2: hosts 5..14, host 5 and 6 now answer as another OS.
        await s.writeBatch('r2', 'b1', [
          ...rows('r2', 7, 15),
          row('r2', 5, { label: 'FreeBSD 13.X', probed_at: new Date('2026-02-01T00:00:00Z') }),
          row('r2', 6, { label: 'FreeBSD 13.X', probed_at: new Date('2026-02-01T00:00:00Z') }),
        ]);
      });
      await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
      await store.buildVersion('web', { runs: ['r2'], provenance: PROVENANCE });
      await store.close();
      const d = await diffVersions(dir, 'web@1', 'web@2');
      expect({ added: d.added, removed: d.removed, relabelled: d.relabelled, unchanged: d.unchanged }).toEqual({
        added: 5,
        removed: 5,
        relabelled: 2,
        unchanged: 3,
      });
      expect(d.relabelledSample.map((r) => r.to)).toEqual(['FreeBSD 13.X', 'FreeBSD 13.X']);
      expect(d.histogram.find((h) => h.label === 'FreeBSD 13.X')).toEqual({
        label: 'FreeBSD 13.X',
        a: 0,
        b: 2,
        delta: 2,
      });
    }));

  it('relabels from nmap_guesses into a new version without touching rows that have none', () =>
    withDataDir(async (dir) => {
      const store = await storeWith(dir, async (s) => {
        await s.registerRun(run('r1'));
        await s.writeBatch('r1', 'b1', [
          ...rows('r1', 0, 6),
          row('r1', 6, { label: null, nmap_guesses: null, label_status: 'timeout', label_acc: null }),
          // Nmap guessed nothing for a firewalled host: relabelling cannot make it anything else.
          row('r1', 7, {
            ...unlabelledFields('firewalled', '[]'),
            nmap_closed_port: false,
            nmap_unreliable: true,
            nmap_tries: 1,
          }),
        ]);
      });
      const v1 = await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE, formats: ['csv'] });
      await store.close();
      const seen: string[] = [];
      const relabelFn = (json: string): LabelFields => {
        seen.push(json);
        const name = (JSON.parse(json) as { name: string }[])[0]?.name;
        if (name === undefined) return unlabelledFields('no-match', json);
        return {
          label: name.startsWith('Linux') ? 'Linux' : 'Windows',
          label_acc: 90,
          label_2: null,
          label_2_acc: null,
          os_vendor: null,
          os_family: null,
          os_gen: null,
          os_type: null,
          os_cpe: null,
          nmap_guesses: 're-serialised, must be ignored',
          label_status: 'ok',
          // How the scan went is not the relabeller's to say: the stored values stay.
          nmap_closed_port: null,
          nmap_unreliable: null,
          nmap_too_many_matches: null,
          nmap_tries: 99,
        };
      };
      const v2 = await relabelVersion(dir, 'web@1', relabelFn, { taxonomyVersion: 'coarse-1' });
      expect(seen).toHaveLength(3); // once per distinct nmap_guesses value
      expect(v2.version).toBe(2);
      expect(v2.parent).toBe(1);
      expect(v2.derivedFrom).toMatchObject({ dataset: 'web', version: 1, operation: 'relabel' });
      expect(v2.provenance.taxonomyVersion).toBe('coarse-1');
      expect(v2.runs).toEqual(v1.runs);
      expect(v2.classHistogram).toEqual([
        { label: 'Linux', count: 4 },
        { label: 'Windows', count: 2 },
        { label: null, count: 2 },
      ]);
      const file = await asyncBufferFromFile(join(dir, 'datasets', 'web', 'v2', 'data.parquet'));
      const back = (await parquetReadObjects({
        file,
        columns: ['label_status', 'nmap_guesses', 'nmap_closed_port', 'nmap_tries'],
      })) as Record<string, unknown>[];
      expect(back.filter((r) => r['label_status'] === 'timeout')).toHaveLength(1);
      expect(back.filter((r) => r['label_status'] === 'firewalled')).toEqual([
        { label_status: 'firewalled', nmap_guesses: '[]', nmap_closed_port: false, nmap_tries: 1 },
      ]);
      expect(back.some((r) => r['nmap_tries'] === 99)).toBe(false);
      expect(back.some((r) => r['nmap_guesses'] === 're-serialised, must be ignored')).toBe(false);
      expect((await verifyVersion(dir, 'web@2')).ok).toBe(true);
      const d = await diffVersions(dir, 'web@1', 'web@2');
      expect(d.relabelled).toBe(6);
    }));
});

describe('bad input', () => {
  it('rejects malformed version references with a message naming them', () => {
    expect(parseVersionRef('web')).toEqual({ name: 'web', version: 'latest' });
    expect(parseVersionRef('web@3')).toEqual({ name: 'web', version: 3 });
    expect(parseVersionRef('web@v3')).toEqual({ name: 'web', version: 3 });
    for (const bad of ['web@', 'web@0', 'web@x', '@3', '../x', 'a/b@1', 'web@-1']) {
      expect(() => parseVersionRef(bad), bad).toThrow(DatasetInputError);
    }
    expect(() => parseVersionRef('web@x')).toThrow(/"web@x" is not a valid version reference/);
  });

  it('names an unknown dataset or version and what exists', () =>
    withDataDir(async (dir) => {
      await expect(showVersion(dir, 'nope')).rejects.toThrow(/unknown dataset "nope".*known datasets: \(none\)/);
      const store = await storeWith(dir, async (s) => {
        await s.registerRun(run('r1'));
        await s.writeBatch('r1', 'b1', rows('r1', 0, 2));
      });
      await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
      await expect(store.buildVersion('web', { runs: ['r9'], provenance: PROVENANCE })).rejects.toThrow(
        /unknown run\(s\) r9; runs in this store: r1/,
      );
      await store.close();
      await expect(showVersion(dir, 'web@7')).rejects.toThrow(/dataset "web" has no version 7; its versions: 1/);
      await expect(showVersion(dir, 'nope')).rejects.toThrow(/known datasets: web/);
    }));

  it('reports truncated or foreign files by name', () =>
    withDataDir(async (dir) => {
      const store = await storeWith(dir, async (s) => {
        await s.registerRun(run('r1'));
        await s.writeBatch('r1', 'b1', rows('r1', 0, 5));
      });
      await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
      await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
      await store.close();
      const v1 = join(dir, 'datasets', 'web', 'v1');
      const pq = join(v1, 'data.parquet');
      await chmod(pq, 0o644);
      const bytes = await readFile(pq);
      await writeFile(pq, bytes.subarray(0, bytes.length / 2));
      const result = await verifyVersion(dir, 'web@1');
      expect(result.ok).toBe(false);
      expect(result.problems.join('\n')).toMatch(/data\.parquet.*(truncated|foreign)/);
      await expect(exportVersion(dir, 'web@1', { format: 'csv', out: join(dir, 'x.csv') })).rejects.toThrow(
        /web@1: cannot read .*data\.parquet/,
      );
      expect((await readdir(dir)).filter((f) => f.includes('x.csv'))).toEqual([]);

      const manifest = join(dir, 'datasets', 'web', 'v2', 'manifest.json');
      await chmod(manifest, 0o644);
      await writeFile(manifest, '{"format": "osfp-dataset-version/1", "dataset": "we');
      await expect(showVersion(dir, 'web@2')).rejects.toThrow(/web@2: .*manifest\.json is not valid JSON/);
      await writeFile(manifest, '{"hello": 1}');
      await expect(showVersion(dir, 'web@2')).rejects.toThrow(/not an osfp osfp-dataset-version\/1 manifest \(format/);
    }));

  it('refuses a store file that is not an osfp store', () =>
    withDataDir(async (dir) => {
      await writeFile(join(dir, 'store.duckdb'), 'this is not a database');
      await expect(openStore(dir)).rejects.toThrow(/cannot open the store .*store\.duckdb/);
    }));
});
