/**
 * DuckDB statements that read and write the version files. DuckDB's own
 * Parquet and CSV writers are used because they stream in constant memory,
 * far faster than any JS writer (docs/benchmarks.md#dataset-export); they run
 * on one thread, which keeps their memory flat.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DatasetInputError, messageOf } from './errors.ts';
import type { ManifestColumn } from './manifest.ts';
import { ident, literal } from './sql.ts';

/**
 * CSV has no lists or timestamps: lists are written as JSON arrays (so an
 * element containing a comma stays one element) and timestamps as ISO 8601 UTC.
 * DuckDB's CSV writer quotes any field holding a comma, quote or newline and
 * doubles embedded quotes (RFC 4180), which keeps JSON columns intact.
 */
export function csvProjection(columns: readonly Pick<ManifestColumn, 'name' | 'type'>[]): string {
  return columns
    .map((c) => {
      const q = ident(c.name);
      if (c.type.endsWith('[]')) return `CAST(to_json(${q}) AS VARCHAR) AS ${q}`;
      if (c.type === 'TIMESTAMP') return `strftime(${q}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${q}`;
      return q;
    })
    .join(', ');
}

/**
 * Rows per Parquet row group. DuckDB's writer holds a whole row group in
 * memory before flushing it, so its default (122,880) made a version build's
 * peak follow the row count up to that size; building a version of 65k rows
 * (1M lab names) peaked at 282 MB RSS with 16,384 rows per group, 260 with
 * 8,192, 245 with 2,048, and 233 when the same sorted rows went to CSV.
 * 4,096 keeps a million-row file at ~250 groups, which readers take in stride.
 */
export const PARQUET_ROW_GROUP_ROWS = 4096;

// Snappy, not zstd: every Parquet reader decodes it without plugins (hyparquet,
// for one, needs an extra package for zstd); files are a little larger.
export async function copyToParquet(conn: DuckDBConnection, selectSql: string, path: string): Promise<void> {
  await singleThreaded(
    conn,
    `COPY (${selectSql}) TO ${literal(path)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${PARQUET_ROW_GROUP_ROWS})`,
  );
}

export async function copyToCsv(conn: DuckDBConnection, selectSql: string, path: string): Promise<void> {
  await singleThreaded(
    conn,
    `COPY (${selectSql}) TO ${literal(path)} (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ESCAPE '"')`,
  );
}

/**
 * Writes run on one thread. With several, DuckDB buffers row groups per
 * thread to keep insertion order, and peak memory followed the row count
 * (Parquet, 2 threads: 221 / 596 / 667 MB RSS at 100k / 1M / 2M rows; CSV
 * 217 / 558 / 784 MB); on one thread it is nearly flat (221 / 323 / 359 MB;
 * CSV 105 / 141 / 172 MB) and, on this 2-core machine, faster too.
 */
async function singleThreaded(conn: DuckDBConnection, sql: string): Promise<void> {
  await conn.run('SET threads = 1');
  try {
    await conn.run(sql);
  } finally {
    await conn.run('RESET threads');
  }
}

export const readParquetSql = (path: string): string => `read_parquet(${literal(path)})`;

/**
 * DuckDB settings for every instance we open: a memory ceiling so that sorts
 * and writes of large versions spill to disk instead of growing with the row
 * count (DuckDB's default is 80% of RAM), and a temp directory to spill into.
 * OSFP_DUCKDB_MEMORY overrides the ceiling. No external file cache: it keeps
 * what was read from every file (here, local files read once) in memory up
 * to the ceiling; merging 256 batch files at a time grew RSS by ~130 MB per
 * merge with it and leveled off at ~270 MB without.
 */
export function duckdbConfig(): Record<string, string> {
  return {
    memory_limit: process.env['OSFP_DUCKDB_MEMORY'] ?? '512MB',
    temp_directory: join(tmpdir(), `osfp-duckdb-${process.pid}`),
    enable_external_file_cache: 'false',
  };
}

/** A short-lived in-memory DuckDB for reading version files; closed by the caller's `finally`. */
export async function openScratch(): Promise<{ conn: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:', duckdbConfig());
  const conn = await instance.connect();
  return {
    conn,
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** Runs `fn` and turns a DuckDB failure to read `path` into an error that names it. */
export async function readingFile<T>(what: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new DatasetInputError(
      `${what}: cannot read ${path} as Parquet (missing, truncated or foreign file?): ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
}
