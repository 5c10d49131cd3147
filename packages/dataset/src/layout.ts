/**
 * Where things live in a data directory:
 *   store.duckdb                     the store's catalogue: runs, batches (only the coordinator opens it)
 *   rows/RUN/b-BATCH.parquet         the rows of one written batch (see row-files.ts)
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
export const SCHEMA_ROW_FILE = join('_schema', 'empty.parquet');
export const rowsDir = (dataDir: string): string => join(dataDir, 'rows');
export const runRowsDir = (dataDir: string, runId: string): string => join(rowsDir(dataDir), runId);
export const rowFilePath = (dataDir: string, runId: string, batchId: string): string =>
  join(runRowsDir(dataDir, runId), `${ROW_FILE_PREFIX}${batchId}.parquet`);
export const datasetsDir = (dataDir: string): string => join(dataDir, 'datasets');
export const datasetDir = (dataDir: string, name: string): string => join(datasetsDir(dataDir), name);
export const versionDir = (dataDir: string, name: string, version: number): string =>
  join(datasetDir(dataDir, name), `v${version}`);

/** Version number of a version directory's name, or null for anything else (temp dirs, stray files). */
export function versionOfDirName(entry: string): number | null {
  const m = /^v([1-9][0-9]*)$/.exec(entry);
  return m?.[1] ? Number(m[1]) : null;
}
