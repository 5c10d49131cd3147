/**
 * Writes one immutable version: data files and manifest go to a temporary
 * directory beside the final one, are made read-only, and the directory is
 * renamed to vN only when complete, so a crash never leaves a half version.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DatasetInputError } from './errors.ts';
import { updateHashFromFile, sha256File } from './file-hash.ts';
import { copyToCsv, copyToParquet, csvProjection, readParquetSql } from './duckdb-files.ts';
import { DATA_CSV, DATA_PARQUET, MANIFEST_FILE, datasetDir, versionDir, versionOfDirName } from './layout.ts';
import { MANIFEST_FORMAT, type ManifestColumn, type ManifestRun, type VersionManifest } from './manifest.ts';
import type { Provenance, StageCounts } from './provenance.ts';
import { writeSortedParquet, type SortedSource } from './sorted-parquet.ts';
import { validateDatasetName } from './version-ref.ts';

export type ExportFormat = 'parquet' | 'csv';

export type VersionSource = {
  readonly connection: DuckDBConnection;
  readonly columns: readonly ManifestColumn[];
} & (
  | {
      /** A SELECT yielding exactly `columns`, in the row order to write. */
      readonly selectSql: string;
    }
  | {
      /** Rows yielding exactly `columns`, sorted a range of ips at a time (large builds: see sorted-parquet.ts). */
      readonly sorted: SortedSource;
    }
);

export interface VersionMetadata {
  readonly runs: readonly ManifestRun[];
  readonly counts: StageCounts;
  readonly provenance: Provenance;
  readonly derivedFrom?: VersionManifest['derivedFrom'];
  /** Overrides the default parent (the latest version) — e.g. relabel names the version it came from. */
  readonly parent?: number | null;
  /** Data files besides Parquet (always written). */
  readonly formats?: readonly ExportFormat[];
}

/** Version numbers present for a dataset, ascending (empty when the dataset does not exist). */
export async function versionNumbers(dataDir: string, dataset: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir(datasetDir(dataDir, dataset));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .map(versionOfDirName)
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
}

export async function writeVersion(
  dataDir: string,
  dataset: string,
  source: VersionSource,
  meta: VersionMetadata,
): Promise<VersionManifest> {
  validateDatasetName(dataset);
  const existing = await versionNumbers(dataDir, dataset);
  const latest = existing.at(-1) ?? null;
  const version = (latest ?? 0) + 1;
  await mkdir(datasetDir(dataDir, dataset), { recursive: true });
  const tmp = join(
    datasetDir(dataDir, dataset),
    `.building-v${version}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  await mkdir(tmp);
  try {
    const conn = source.connection;
    const parquet = join(tmp, DATA_PARQUET);
    if ('sorted' in source) await writeSortedParquet(conn, source.sorted, parquet, tmp);
    else await copyToParquet(conn, source.selectSql, parquet);
    const fromParquet = readParquetSql(parquet);
    if (meta.formats?.includes('csv')) {
      await copyToCsv(conn, `SELECT ${csvProjection(source.columns)} FROM ${fromParquet}`, join(tmp, DATA_CSV));
    }
    const contentSha256 = await contentHash(conn, parquet, source.columns, join(tmp, '.content.csv'));
    const rows = await countRows(conn, fromParquet);
    const classHistogram = await histogram(conn, fromParquet);

    const files: VersionManifest['files'] = {};
    for (const name of [DATA_PARQUET, DATA_CSV]) {
      const path = join(tmp, name);
      const info = await stat(path).catch(() => null);
      if (!info) continue;
      files[name] = { sha256: await sha256File(path), bytes: info.size };
    }
    const manifest: VersionManifest = {
      format: MANIFEST_FORMAT,
      dataset,
      version,
      parent: meta.parent === undefined ? latest : meta.parent,
      createdAt: new Date().toISOString(),
      contentSha256,
      rows,
      derivedFrom: meta.derivedFrom ?? null,
      runs: [...meta.runs],
      counts: { ...meta.counts },
      classHistogram,
      schema: { featureSchemaVersion: meta.provenance.featureSchemaVersion, columns: [...source.columns] },
      provenance: { ...meta.provenance },
      files,
    };
    await writeFile(join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const name of [...Object.keys(files), MANIFEST_FILE]) await chmod(join(tmp, name), 0o444);
    try {
      await rename(tmp, versionDir(dataDir, dataset, version));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new DatasetInputError(`${dataset}@${version} was created by another process meanwhile; build again`);
      }
      throw error;
    }
    return manifest;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * sha256 over the schema and the rows in their text form (the CSV export), in
 * file order, which every writer makes deterministic (ORDER BY a full key). It
 * ignores the build's timestamps and the Parquet encoder's byte layout, so
 * building twice from the same rows gives the same hash, and verify can
 * recompute it from the Parquet file alone. Not sorted again here: a second
 * sort of every column costs memory that grows with the row count.
 */
export async function contentHash(
  conn: DuckDBConnection,
  parquetPath: string,
  columns: readonly ManifestColumn[],
  scratchCsv: string,
): Promise<string> {
  try {
    await copyToCsv(conn, `SELECT ${csvProjection(columns)} FROM ${readParquetSql(parquetPath)}`, scratchCsv);
    const hash = createHash('sha256');
    hash.update(`${JSON.stringify(columns.map((c) => [c.name, c.type, c.nullable]))}\n`);
    await updateHashFromFile(hash, scratchCsv);
    return hash.digest('hex');
  } finally {
    await rm(scratchCsv, { force: true });
  }
}

async function countRows(conn: DuckDBConnection, from: string): Promise<number> {
  const reader = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${from}`);
  return Number(reader.getRowObjectsJS()[0]?.['n'] ?? 0);
}

async function histogram(conn: DuckDBConnection, from: string): Promise<VersionManifest['classHistogram']> {
  const reader = await conn.runAndReadAll(
    `SELECT label, count(*)::INTEGER AS n FROM ${from} GROUP BY label ORDER BY n DESC, label NULLS LAST`,
  );
  return reader
    .getRowObjectsJS()
    .map((r) => ({ label: r['label'] === null ? null : String(r['label']), count: Number(r['n']) }));
}
