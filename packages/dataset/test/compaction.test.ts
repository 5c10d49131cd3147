import { copyFile, cp, readdir, rename, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { planMerges } from '../src/compaction.ts';
import { openStore, type DatasetStore } from '../src/index.ts';
import { PROVENANCE, rows, run, withDataDir } from '../testing/index.ts';

/** Small limits, so that a few batches exercise what ~4,000 do in a real run. */
const SMALL = { minFiles: 4, maxBatches: 8, maxRows: 1_000 };
const NEVER = { minFiles: Number.MAX_SAFE_INTEGER };
const ROWS_PER_BATCH = 5;

/** Run r1 with `batches` batches of 5 rows (batch ids 0..n-1, as the coordinator numbers them). */
async function writeRun(store: DatasetStore, batches: number, runId = 'r1'): Promise<void> {
  await store.registerRun(run(runId));
  for (let b = 0; b < batches; b++) {
    await store.writeBatch(runId, String(b), rows(runId, b * ROWS_PER_BATCH, (b + 1) * ROWS_PER_BATCH));
  }
}

const rowFiles = async (dir: string, runId = 'r1') => (await readdir(join(dir, 'rows', runId))).sort();
const merged = (files: string[]) => files.filter((f) => f.startsWith('c-'));
const own = (files: string[]) => files.filter((f) => f.startsWith('b-'));

/** Which file the catalogue names for each batch, by RUN/BATCH (null: its own), read with the store closed. */
async function catalogue(dir: string): Promise<Map<string, string | null>> {
  const db = await DuckDBInstance.create(join(dir, 'store.duckdb'));
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll(`SELECT run_id, batch_id, file FROM batches`);
    return new Map(
      reader
        .getRowObjectsJS()
        .map((r) => [`${String(r['run_id'])}/${String(r['batch_id'])}`, (r['file'] as string | null) ?? null]),
    );
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** The version content hash and row count of run r1, built in a fresh store handle. */
async function build(dir: string, compaction: object = NEVER): Promise<{ rows: number; contentSha256: string }> {
  const store = await openStore(dir, { compaction });
  try {
    const m = await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
    return { rows: m.rows, contentSha256: m.contentSha256 };
  } finally {
    await store.close();
  }
}

describe('compaction', () => {
  it('plans consecutive groups within the limits and leaves single batches alone', () => {
    const batches = (sizes: number[]) => sizes.map((n, i) => ({ batchId: String(i), rows: n }));
    const ids = (groups: { batchId: string }[][]) => groups.map((g) => g.map((m) => m.batchId));
    const limits = { minFiles: 2, maxBatches: 3, maxRows: 100 };
    expect(ids(planMerges(batches([10, 10, 10, 10, 10, 10, 10]), limits))).toEqual([
      ['0', '1', '2'],
      ['3', '4', '5'],
    ]);
    expect(ids(planMerges(batches([60, 30, 20, 200, 5, 5]), limits))).toEqual([
      ['0', '1'],
      ['4', '5'],
    ]);
  });

  it('merges a run of many batch files into a few, every row read once, the version unchanged', () =>
    withDataDir(async (dir) => {
      let store = await openStore(dir, { compaction: NEVER });
      await writeRun(store, 20);
      await store.close();
      expect(own(await rowFiles(dir))).toHaveLength(20);
      const before = await build(dir);
      expect(before.rows).toBe(100);
      expect(own(await rowFiles(dir))).toHaveLength(20);

      // A build merges the run's files first (here into 8 + 8 + 4 batches), then reads the merged ones.
      const after = await build(dir, SMALL);
      expect(after).toEqual({ rows: 100, contentSha256: before.contentSha256 });
      const files = await rowFiles(dir);
      expect(own(files)).toEqual([]);
      expect(merged(files)).toHaveLength(3);
      const named = await catalogue(dir);
      expect(new Set(named.values())).toEqual(new Set(merged(files)));
      expect(named.get('r1/0')).toBe(named.get('r1/7'));
      expect(named.get('r1/8')).not.toBe(named.get('r1/7'));

      // Compacting again does nothing; a batch delivered again is still a duplicate; new batches join later.
      store = await openStore(dir, { compaction: SMALL });
      try {
        expect(await store.compact()).toEqual({ merged: 0, files: 0 });
        expect(await store.writeBatch('r1', '3', rows('r1', 15, 20))).toEqual({ written: 0, duplicate: true });
        expect(await store.batchesWritten('r1')).toEqual(new Set(Array.from({ length: 20 }, (_, b) => String(b))));
        await store.writeBatch('r1', '20', rows('r1', 100, 105));
        expect(await store.exportRows(['r1'], { format: 'csv', out: join(dir, 'all.csv') })).toEqual({ rows: 105 });
      } finally {
        await store.close();
      }
      expect(own(await rowFiles(dir))).toEqual(['b-20.parquet']);
      expect((await build(dir, SMALL)).rows).toBe(105);
    }));

  it('a crash before the catalogue names the merged file leaves the batch files in use; the merged file goes', () =>
    withDataDir(async (dir) => {
      const store = await openStore(dir, { compaction: NEVER });
      await writeRun(store, 10);
      await store.close();
      const before = await build(dir);
      // What a crash between the rename and the catalogue update leaves: a complete merged file nobody names.
      const mergedFile = await withDataDir(async (elsewhere) => {
        await cp(dir, elsewhere, { recursive: true });
        await build(elsewhere, SMALL);
        const file = merged(await rowFiles(elsewhere))[0] ?? '';
        await copyFile(join(elsewhere, 'rows', 'r1', file), join(dir, 'rows', 'r1', file));
        return file;
      });
      expect(mergedFile).toMatch(/^c-0-/);
      await writeFile(join(dir, 'rows', 'r1', `c-5-0badf00d.parquet.tmp-${process.pid}`), 'half a merged file');

      expect(await build(dir)).toEqual(before);
      expect(await rowFiles(dir)).toEqual(Array.from({ length: 10 }, (_, b) => `b-${b}.parquet`).sort());
    }));

  it('a crash after the catalogue names the merged file leaves old batch files that are never read, then removed', () =>
    withDataDir(async (dir) => {
      let store = await openStore(dir, { compaction: NEVER });
      await writeRun(store, 10);
      await store.close();
      const before = await build(dir);
      const saved = join(dir, 'saved');
      await cp(join(dir, 'rows', 'r1'), saved, { recursive: true });
      store = await openStore(dir, { compaction: SMALL });
      try {
        expect(await store.compact(['r1'])).toEqual({ merged: 10, files: 2 });
        // The batch files come back, as if the process died before removing them: still one copy of each row.
        for (const f of await readdir(saved)) await copyFile(join(saved, f), join(dir, 'rows', 'r1', f));
        const version = await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
        expect(version.contentSha256).toBe(before.contentSha256);
      } finally {
        await store.close();
      }
      expect((await build(dir)).contentSha256).toBe(before.contentSha256);
      expect(own(await rowFiles(dir))).toEqual([]);
    }));

  it('a merge that fails leaves every batch in its own file and no merged file', () =>
    withDataDir(async (dir) => {
      const store = await openStore(dir, { compaction: SMALL });
      try {
        await writeRun(store, 6);
        const victim = join(dir, 'rows', 'r1', 'b-4.parquet');
        await copyFile(victim, join(dir, 'b-4.saved'));
        await truncate(victim, 10);
        await expect(store.compact(['r1'])).rejects.toThrow();
        expect(await rowFiles(dir)).toEqual(Array.from({ length: 6 }, (_, b) => `b-${b}.parquet`).sort());
        await copyFile(join(dir, 'b-4.saved'), victim);
        expect(await store.compact(['r1'])).toEqual({ merged: 6, files: 1 });
      } finally {
        await store.close();
      }
      expect([...new Set((await catalogue(dir)).values())]).toHaveLength(1);
      expect((await build(dir)).rows).toBe(30);
    }));

  it('writeBatchFromSql replaces a merged batch: the merged file is rewritten without it', () =>
    withDataDir(async (dir) => {
      const store = await openStore(dir, { compaction: SMALL });
      try {
        await writeRun(store, 6);
        const saved = join(dir, 'batch-0.parquet');
        await copyFile(join(dir, 'rows', 'r1', 'b-0.parquet'), saved);
        await store.compact();
        const replacement = `SELECT * REPLACE ('3' AS batch_id) FROM read_parquet('${saved}')`;
        expect(await store.writeBatchFromSql('r1', '3', replacement)).toEqual({ written: ROWS_PER_BATCH });
        const out = join(dir, 'r1.csv');
        expect(await store.exportRows(['r1'], { format: 'csv', out })).toEqual({ rows: 30 });
      } finally {
        await store.close();
      }
      const files = await rowFiles(dir);
      expect(files).toContain('b-3.parquet');
      expect(merged(files)).toHaveLength(1);
      const named = await catalogue(dir);
      expect(named.get('r1/3')).toBeNull();
      expect(named.get('r1/0')).toBe(merged(files)[0]);
      // Batch 0's rows now appear twice (once as batch 3), the old batch 3 rows not at all.
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      const ips = (
        await conn.runAndReadAll(
          `SELECT ip, count(*)::INTEGER AS n FROM read_csv('${join(dir, 'r1.csv')}') GROUP BY ip`,
        )
      ).getRowObjectsJS();
      conn.closeSync();
      db.closeSync();
      const counts = new Map(ips.map((r) => [String(r['ip']), Number(r['n'])]));
      for (const r of rows('r1', 0, 5)) expect(counts.get(r.ip)).toBe(2);
      for (const r of rows('r1', 15, 20)) expect(counts.has(r.ip)).toBe(false);
    }));

  it('reads a store written before compaction, a run migrated from osfp-store/1 included, and compacts it', () =>
    withDataDir(async (dir) => {
      let store = await openStore(dir, { compaction: NEVER });
      await writeRun(store, 10);
      await writeRun(store, 3, 'm1');
      await store.close();
      const r1 = await build(dir);
      let m1 = await openStore(dir, { compaction: NEVER });
      const m1Before = (await m1.buildVersion('mig', { runs: ['m1'], provenance: PROVENANCE })).contentSha256;
      await m1.close();

      // Back to the older layout: no batches.file column; run m1's rows in migrated.parquet, as the
      // osfp-store/1 migration left them before this column existed.
      const db = await DuckDBInstance.create(join(dir, 'store.duckdb'));
      const conn = await db.connect();
      const m1Dir = join(dir, 'rows', 'm1');
      await conn.run(
        `COPY (SELECT * FROM read_parquet('${m1Dir}/b-*.parquet')) TO '${m1Dir}/migrated.parquet' (FORMAT parquet)`,
      );
      await conn.run(`ALTER TABLE batches DROP COLUMN file`);
      conn.closeSync();
      db.closeSync();
      for (const f of own(await rowFiles(dir, 'm1'))) await rename(join(m1Dir, f), join(dir, `moved-${f}`));

      store = await openStore(dir, { compaction: SMALL });
      try {
        const again = await store.buildVersion('web', { runs: ['r1'], provenance: PROVENANCE });
        expect(again.contentSha256).toBe(r1.contentSha256);
        expect(merged(await rowFiles(dir))).toHaveLength(2);
        const m1After = await store.buildVersion('mig', { runs: ['m1'], provenance: PROVENANCE });
        expect(m1After.contentSha256).toBe(m1Before);
      } finally {
        await store.close();
      }
      expect(await rowFiles(dir, 'm1')).toEqual(['migrated.parquet']);
      expect((await catalogue(dir)).get('r1/0')).toMatch(/^c-/);
      m1 = await openStore(dir, { compaction: SMALL });
      await m1.close();
      expect(await rowFiles(dir, 'm1')).toEqual(['migrated.parquet']);
    }));
});
