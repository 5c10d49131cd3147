/** Copies a version out of the data directory as Parquet or CSV, atomically (temp name, then rename). */
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, lstat, rename, rm, stat } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { copyToCsv, csvProjection, openScratch, readParquetSql, readingFile } from './duckdb-files.ts';
import { DatasetInputError, messageOf } from './errors.ts';
import { DATA_CSV, DATA_PARQUET } from './layout.ts';
import { formatVersionRef, type VersionRef } from './version-ref.ts';
import type { ExportFormat } from './version-writer.ts';
import { resolveVersion } from './versions.ts';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['parquet', 'csv'];

export interface ExportResult {
  readonly ref: string;
  readonly format: ExportFormat;
  readonly path: string;
  readonly rows: number;
}

export async function exportVersion(
  dataDir: string,
  ref: string | VersionRef,
  opts: { format: ExportFormat; out: string },
): Promise<ExportResult> {
  if (!EXPORT_FORMATS.includes(opts.format)) {
    throw new DatasetInputError(
      `unknown export format "${String(opts.format)}"; use one of: ${EXPORT_FORMATS.join(', ')}`,
    );
  }
  const v = await resolveVersion(dataDir, ref);
  const what = formatVersionRef(v.name, v.version);
  if (await lstat(opts.out).catch(() => null)) {
    throw new DatasetInputError(
      `--out ${opts.out} already exists; choose another path or remove it (exports never overwrite)`,
    );
  }
  const outDir = await stat(dirname(opts.out)).catch(() => null);
  if (outDir === null)
    throw new DatasetInputError(`--out ${opts.out}: its directory ${dirname(opts.out)} does not exist`);
  if (!outDir.isDirectory()) throw new DatasetInputError(`--out ${opts.out}: ${dirname(opts.out)} is not a directory`);
  const tmp = join(dirname(opts.out), `.${basename(opts.out)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const parquet = join(v.dir, DATA_PARQUET);
    if (opts.format === 'parquet') {
      await copyFile(parquet, tmp);
    } else if (DATA_CSV in v.manifest.files) {
      await copyFile(join(v.dir, DATA_CSV), tmp);
    } else {
      const scratch = await openScratch();
      try {
        await readingFile(what, parquet, () =>
          copyToCsv(
            scratch.conn,
            `SELECT ${csvProjection(v.manifest.schema.columns)} FROM ${readParquetSql(parquet)}`,
            tmp,
          ),
        );
      } finally {
        scratch.close();
      }
    }
    // The copy belongs to the user: writable, unlike the version itself.
    await chmod(tmp, 0o644);
    await rename(tmp, opts.out);
  } catch (error) {
    await rm(tmp, { force: true });
    if (error instanceof DatasetInputError) throw error;
    throw new DatasetInputError(`export ${what} to ${opts.out} failed, nothing written: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return { ref: what, format: opts.format, path: opts.out, rows: v.manifest.rows };
}
