/**
 * Compaction: a run's many small batch files merged into a few large ones.
 *
 * Why: every batch is its own row file (row-files.ts), so a run of a million
 * addresses in batches of 256 leaves ~4,000 files, and DuckDB opens every
 * file's footer on every query: a version build (one query per range of
 * 16,384 addresses) went from 11 s at 100k rows to 20 min at 1M. Merged
 * into files of up to MAX_ROWS rows, the same run is ~16 files.
 *
 * The catalogue names the file that holds each batch (`batches.file`; null:
 * its own `b-BATCH.parquet`), and reads go only to the files it names. A
 * merge writes the new file completely (temp name, fsync, rename), then
 * points the batches at it in one statement, then removes the files it
 * replaced: a crash before the catalogue changed leaves an unnamed merged
 * file, after it the replaced files; both are removed when the store is next
 * opened and neither is ever read, so each batch is read from exactly one
 * file at every moment. Merging again finds no batch in its own file and
 * does nothing.
 *
 * The merged file keeps the batches' order (by batch number: the
 * coordinator numbers batches in address order, so a merged file's row
 * groups cover narrow address ranges and the version build's range queries
 * skip the others). It is not sorted by the version key: that sort would
 * hold MAX_ROWS rows in memory at the end of every run, while the merge
 * streams a row group at a time.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { batchFileName, COMPACTED_FILE_PREFIX, ROW_FILE_PREFIX, runRowsDir } from './layout.ts';
import type { RowFileWriter } from './row-files.ts';
import { literal } from './sql.ts';

export interface CompactionLimits {
  /** A run is merged once it has this many batches in their own files. */
  readonly minFiles: number;
  /** At most this many batches per merged file (bounds the files one merge opens)... */
  readonly maxBatches: number;
  /** ...and at most this many rows (a batch larger than this is left alone). */
  readonly maxRows: number;
}

export const DEFAULT_COMPACTION: CompactionLimits = { minFiles: 16, maxBatches: 512, maxRows: 65_536 };

/** Batch order: numerically when ids are numbers (the coordinator's), then as text. */
export const BATCH_ORDER = 'TRY_CAST(batch_id AS BIGINT) NULLS LAST, batch_id';

/** The file that holds each batch, as the catalogue says: its own, or the merged file it was moved to. */
export const BATCH_FILE_SQL = `coalesce(file, '${ROW_FILE_PREFIX}' || batch_id || '.parquet')`;

interface Member {
  readonly batchId: string;
  readonly rows: number;
}

/**
 * Splits batches (in batch order) into consecutive groups within the limits;
 * only groups of two or more batches are worth a merge.
 */
export function planMerges(batches: readonly Member[], limits: CompactionLimits): Member[][] {
  const groups: Member[][] = [];
  let group: Member[] = [];
  let rows = 0;
  for (const batch of batches) {
    if (group.length > 0 && (group.length >= limits.maxBatches || rows + batch.rows > limits.maxRows)) {
      groups.push(group);
      group = [];
      rows = 0;
    }
    group.push(batch);
    rows += batch.rows;
  }
  if (group.length > 0) groups.push(group);
  return groups.filter((g) => g.length > 1);
}

export interface CompactionContext {
  readonly dataDir: string;
  /** The catalogue. */
  readonly conn: DuckDBConnection;
  readonly writer: RowFileWriter;
  readonly limits: CompactionLimits;
}

/** Merges the run's batches that are in their own files, when there are at least `minFiles` of them. */
export async function compactRun(ctx: CompactionContext, runId: string): Promise<{ merged: number; files: number }> {
  const own = (
    await ctx.conn.runAndReadAll(
      `SELECT batch_id, rows FROM batches WHERE run_id = $1 AND file IS NULL ORDER BY ${BATCH_ORDER}`,
      [runId],
    )
  )
    .getRowObjectsJS()
    .map((r) => ({ batchId: String(r['batch_id']), rows: Number(r['rows']) }));
  if (own.length < ctx.limits.minFiles) return { merged: 0, files: 0 };
  let merged = 0;
  let files = 0;
  for (const group of planMerges(own, ctx.limits)) {
    const ids = group.map((m) => m.batchId);
    await moveBatches(ctx, runId, ids, {
      sources: ids.map(batchFileName),
      replaced: ids.map(batchFileName),
    });
    merged += group.length;
    files += 1;
  }
  return { merged, files };
}

/**
 * Takes batch `batchId` out of the shared file that holds it (a merged or a
 * migrated file), so that it can be written again on its own: the file's
 * other batches move to a new merged file, the batch's record goes, in one
 * statement, then the old file is removed.
 */
export async function takeOutOfSharedFile(
  ctx: CompactionContext,
  runId: string,
  batchId: string,
  sharedFile: string,
): Promise<void> {
  const others = (
    await ctx.conn.runAndReadAll(
      `SELECT batch_id FROM batches WHERE run_id = $1 AND file = $2 AND batch_id <> $3 ORDER BY ${BATCH_ORDER}`,
      [runId, sharedFile, batchId],
    )
  )
    .getRowObjectsJS()
    .map((r) => String(r['batch_id']));
  await moveBatches(ctx, runId, others, { sources: [sharedFile], replaced: [sharedFile], forget: batchId });
}

/**
 * Writes the rows of `batchIds` from `sources` to a new merged file, then, in
 * one transaction, points those batches at it (and forgets `forget`), then
 * removes the `replaced` files. The ordering is what makes it crash-safe
 * (see the top of this file).
 */
async function moveBatches(
  ctx: CompactionContext,
  runId: string,
  batchIds: readonly string[],
  files: { sources: readonly string[]; replaced: readonly string[]; forget?: string },
): Promise<void> {
  const dir = runRowsDir(ctx.dataDir, runId);
  let target: string | null = null;
  if (batchIds.length > 0) {
    target = `${COMPACTED_FILE_PREFIX}${batchIds[0]}-${randomBytes(4).toString('hex')}.parquet`;
    await ctx.writer.writeMerged(
      join(dir, target),
      files.sources.map((f) => join(dir, f)),
      batchIds,
    );
  }
  await ctx.conn.run('BEGIN TRANSACTION');
  try {
    if (target !== null) {
      await ctx.conn.run(
        `UPDATE batches SET file = $1 WHERE run_id = $2 AND batch_id IN (${batchIds.map(literal).join(', ')})`,
        [target, runId],
      );
    }
    if (files.forget !== undefined) {
      await ctx.conn.run(`DELETE FROM batches WHERE run_id = $1 AND batch_id = $2`, [runId, files.forget]);
    }
    await ctx.conn.run('COMMIT');
  } catch (error) {
    await ctx.conn.run('ROLLBACK');
    if (target !== null) await rm(join(dir, target), { force: true });
    throw error;
  }
  for (const file of files.replaced) await rm(join(dir, file), { force: true });
}
