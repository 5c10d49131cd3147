/**
 * Where things live in a data directory:
 *   store.duckdb                     the store's catalogue: runs, batches (only the coordinator opens it)
 *   rows/RUN/b-BATCH.parquet         the rows of one written batch (see row-files.ts)
 *   rows/RUN/c-FIRST-TOKEN.parquet   the rows of many batches of a run, merged (see compaction.ts)
 *   rows/RUN/migrated.parquet        a run's rows moved from an osfp-store/1 table
 *   rows/_schema/empty.parquet       no rows, every column: the row files' schema
 *   datasets/NAME/vN/                one immutable version
 *     data.parquet, data.csv?, manifest.json
 *   datasets/NAME/.building-vN-...   a version being written (renamed to vN when complete)
 */
import { join } from 'node:path';

export const STORE_FILE = 'store.duckdb';
export const DATA_PARQUET = 'data.parquet';
export const DATA_CSV = 'data.csv';
export const MANIFEST_FILE = 'manifest.json';

export const storePath = (dataDir: string): string => join(dataDir, STORE_FILE);
export const ROW_FILE_PREFIX = 'b-';
export const COMPACTED_FILE_PREFIX = 'c-';
export const MIGRATED_ROW_FILE = 'migrated.parquet';
export const SCHEMA_ROW_FILE = join('_schema', 'empty.parquet');
export const rowsDir = (dataDir: string): string => join(dataDir, 'rows');
export const runRowsDir = (dataDir: string, runId: string): string => join(rowsDir(dataDir), runId);
/** A batch's own row file, relative to its run's directory. */
export const batchFileName = (batchId: string): string => `${ROW_FILE_PREFIX}${batchId}.parquet`;
export const rowFilePath = (dataDir: string, runId: string, batchId: string): string =>
  join(runRowsDir(dataDir, runId), batchFileName(batchId));
export const datasetsDir = (dataDir: string): string => join(dataDir, 'datasets');
export const datasetDir = (dataDir: string, name: string): string => join(datasetsDir(dataDir), name);
export const versionDir = (dataDir: string, name: string, version: number): string =>
  join(datasetDir(dataDir, name), `v${version}`);

/** Version number of a version directory's name, or null for anything else (temp dirs, stray files). */
export function versionOfDirName(entry: string): number | null {
  const m = /^v([1-9][0-9]*)$/.exec(entry);
  return m?.[1] ? Number(m[1]) : null;
}
