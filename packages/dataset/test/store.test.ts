import { copyFile, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { COLUMN_NAMES, DatasetInputError, LABEL_COLUMNS, openStore } from '../src/index.ts';
import { PROVENANCE, row, rows, run, withDataDir } from '../testing/index.ts';

describe('store', () => {
  it('registers runs idempotently and reads them back', () =>
    withDataDir(async (dir) => {
      const store = await openStore(dir);
      try {
        await store.registerRun({ ...run('r1'), provenance: PROVENANCE });
        await store.registerRun({ ...run('r1'), dataset: 'other' });
        const back = await store.getRun('r1');
        expect(back?.dataset).toBe('web');
        expect(back?.startedAt.toISOString()).toBe('2026-01-02T03:04:05.000Z');
        expect(back?.options).toEqual({ rate: 100, label: 'nmap' });
        expect(await store.getRun('nope')).toBeNull();
      } finally {
        await store.close();
      }
    }));

  it('keeps one copy of a batch written twice', () =>
    withDataDir(async (dir) => {
      const store = await openStore(dir);
      try {
        await store.registerRun(run('r1'));
        expect(await store.writeBatch('r1', 'b1', rows('r1', 0, 10))).toEqual({ written: 10, duplicate: false });
        expect(await store.writeBatch('r1', 'b1', rows('r1', 0, 10))).toEqual({ written: 0, duplicate: true });
        expect(await store.writeBatch('r1', 'b2', rows('r1', 10, 15))).toEqual({ written: 5, duplicate: false });
        expect(await store.batchesWritten('r1')).toEqual(new Set(['b1', 'b2']));
        const v = await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
        expect(v.rows).toBe(15);
      } finally {
        await store.close();
      }
    }));

  it('writes nothing of a batch that fails midway, and accepts it again afterwards', () =>
    withDataDir(async (dir) => {
      const store = await openStore(dir);
      try {
        await store.registerRun(run('r1'));
        const bad = rows('r1', 0, 5);
        // A NOT NULL column left null in the last row: the whole batch must roll back.
        (bad[4] as unknown as Record<string, unknown>)['p0f_sig'] = null;
        await expect(store.writeBatch('r1', 'b1', bad)).rejects.toThrow(/r1\/b1: nothing written/);
        expect(await store.batchesWritten('r1')).toEqual(new Set());
        expect(await store.writeBatch('r1', 'b1', rows('r1', 0, 5))).toEqual({ written: 5, duplicate: false });
        const v = await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
        expect(v.rows).toBe(5);
      } finally {
        await store.close();
      }
    }));

  it('survives reopening: batches and rows persist', () =>
    withDataDir(async (dir) => {
      let store = await openStore(dir);
      await store.registerRun(run('r1'));
      await store.writeBatch('r1', 'b1', rows('r1', 0, 3));
      await store.close();
      store = await openStore(dir);
      try {
        expect(await store.batchesWritten('r1')).toEqual(new Set(['b1']));
        expect((await store.writeBatch('r1', 'b1', rows('r1', 0, 3))).duplicate).toBe(true);
      } finally {
        await store.close();
      }
    }));

  it('removes, when opened, a row file whose batch was never recorded (a crash between the two)', () =>
    withDataDir(async (dir) => {
      let store = await openStore(dir);
      await store.registerRun(run('r1'));
      await store.writeBatch('r1', 'b1', rows('r1', 0, 3));
      await store.close();
      const stray = join(dir, 'rows', 'r1', 'b-b2.parquet');
      await copyFile(join(dir, 'rows', 'r1', 'b-b1.parquet'), stray);
      await writeFile(join(dir, 'rows', 'r1', 'b-b3.parquet.tmp-123'), 'half a file');
      store = await openStore(dir);
      try {
        expect(await readdir(join(dir, 'rows', 'r1'))).toEqual(['b-b1.parquet']);
        expect((await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE })).rows).toBe(3);
        expect(await store.writeBatch('r1', 'b2', rows('r1', 3, 5))).toEqual({ written: 2, duplicate: false });
      } finally {
        await store.close();
      }
    }));

  it('moves the rows of an osfp-store/1 store (a DuckDB table) into row files, losing none', () =>
    withDataDir(async (dir) => {
      let store = await openStore(dir);
      await store.registerRun(run('r1'));
      await store.writeBatch('r1', 'b1', rows('r1', 0, 4));
      await store.writeBatch('r1', 'b2', rows('r1', 4, 6));
      const before = await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
      await store.close();
      // Turn it back into the old layout: rows in a table, no row files.
      const db = await DuckDBInstance.create(join(dir, 'store.duckdb'));
      const conn = await db.connect();
      await conn.run(
        `CREATE TABLE dataset_rows AS SELECT * FROM read_parquet('${join(dir, 'rows', 'r1', '*.parquet')}')`,
      );
      await conn.run(`UPDATE osfp_store SET value = 'osfp-store/1' WHERE key = 'format'`);
      conn.closeSync();
      db.closeSync();
      await rm(join(dir, 'rows'), { recursive: true });

      store = await openStore(dir);
      try {
        expect(await readdir(join(dir, 'rows', 'r1'))).toEqual(['migrated.parquet']);
        const after = await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
        expect(after.rows).toBe(6);
        expect(after.contentSha256).toBe(before.contentSha256);
        expect(await store.batchesWritten('r1')).toEqual(new Set(['b1', 'b2']));
      } finally {
        await store.close();
      }
      const check = await DuckDBInstance.create(join(dir, 'store.duckdb'));
      const c = await check.connect();
      const tables = (await c.runAndReadAll(`SELECT table_name FROM information_schema.tables`))
        .getRowObjectsJS()
        .map((r) => r['table_name']);
      const format = (
        await c.runAndReadAll(`SELECT value FROM osfp_store WHERE key = 'format'`)
      ).getRowObjectsJS()[0]?.['value'];
      c.closeSync();
      check.closeSync();
      expect(tables).not.toContain('dataset_rows');
      expect(format).toBe('osfp-store/2');
    }));

  it('refuses a run or batch id that cannot name a file', () =>
    withDataDir(async (dir) => {
      const store = await openStore(dir);
      try {
        await store.registerRun(run('r1'));
        await expect(store.writeBatch('r1', '../escape', rows('r1', 0, 1))).rejects.toThrow(
          /batch id "..\/escape" cannot name a row file/,
        );
      } finally {
        await store.close();
      }
    }));

  it('refuses rows of an unregistered run or of another run', () =>
    withDataDir(async (dir) => {
      const store = await openStore(dir);
      try {
        await expect(store.writeBatch('ghost', 'b1', rows('ghost', 0, 1))).rejects.toThrow(
          /run "ghost" is not registered/,
        );
        await store.registerRun(run('r1'));
        await expect(store.writeBatch('r1', 'b1', [row('r2', 0)])).rejects.toThrow(DatasetInputError);
        expect(await store.batchesWritten('r1')).toEqual(new Set());
      } finally {
        await store.close();
      }
    }));

  it('writes the newest ok label per ip within the age limit', () =>
    withDataDir(async (dir) => {
      const store = await openStore(dir);
      try {
        await store.registerRun(run('old'));
        await store.registerRun(run('new'));
        await store.registerRun(run('elsewhere', 'other'));
        const now = Date.now();
        await store.writeBatch('old', 'b', [
          row('old', 0, { probed_at: new Date(now - 60_000), label: 'FreeBSD 12.X' }),
        ]);
        await store.writeBatch('new', 'b', [
          row('new', 0, { probed_at: new Date(now - 1_000), label: 'Linux 5.X' }),
          row('new', 1, { probed_at: new Date(now - 1_000), label: null, label_status: 'timeout' }),
          row('new', 2, { probed_at: new Date(now - 10 * 86_400_000) }),
        ]);
        await store.writeBatch('elsewhere', 'b', [row('elsewhere', 3, { probed_at: new Date(now) })]);
        const out = join(dir, 'labels.parquet');
        expect(await store.writeLatestLabels('web', 86_400_000, out)).toEqual({ labels: 1 });
        const labels = new Map(
          ((await parquetReadObjects({ file: await asyncBufferFromFile(out) })) as Record<string, unknown>[]).map(
            (r) => [r['ip'], r],
          ),
        );
        expect([...labels.keys()]).toEqual([row('x', 0).ip]);
        expect(labels.get(row('x', 0).ip)?.['label']).toBe('Linux 5.X');
        expect(labels.get(row('x', 0).ip)?.['label_acc']).toBe(95);
        expect(Object.keys(labels.get(row('x', 0).ip) ?? {})).toEqual(['ip', ...LABEL_COLUMNS.map((c) => c.name)]);
      } finally {
        await store.close();
      }
    }));

  it('dumps the rows of runs to Parquet and CSV without making a version', () =>
    withDataDir(async (dir) => {
      const store = await openStore(dir);
      try {
        await store.registerRun(run('r1'));
        await store.registerRun(run('r2'));
        await store.writeBatch('r1', 'b1', rows('r1', 0, 7));
        await store.writeBatch('r2', 'b1', rows('r2', 0, 3));
        expect(await store.exportRows(['r1'], { format: 'parquet', out: join(dir, 'r1.parquet') })).toEqual({
          rows: 7,
        });
        expect(await store.exportRows(['r1', 'r2'], { format: 'csv', out: join(dir, 'all.csv') })).toEqual({
          rows: 10,
        });
      } finally {
        await store.close();
      }
      const back = (await parquetReadObjects({ file: await asyncBufferFromFile(join(dir, 'r1.parquet')) })) as Record<
        string,
        unknown
      >[];
      expect(back.map((r) => r['ip']).sort()).toEqual(
        rows('r1', 0, 7)
          .map((r) => r.ip)
          .sort(),
      );
      const csv = (await readFile(join(dir, 'all.csv'), 'utf8')).trimEnd().split('\n');
      expect(csv[0]).toBe(COLUMN_NAMES.join(','));
      expect(csv).toHaveLength(11);
      expect(await readFile(join(dir, 'datasets'), 'utf8').catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');
    }));
});
