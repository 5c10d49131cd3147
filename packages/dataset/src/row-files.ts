/**
 * Row files: every written batch is one small Parquet file,
 * `rows/RUN/b-BATCH.parquet`, and the store's rows are the union of those
 * files. The store's DuckDB database keeps only the catalogue (runs,
 * batches).
 *
 * Why not a DuckDB table: appending to one made the coordinator's memory
 * follow the dataset. DuckDB keeps appended rows uncompressed in memory
 * until a checkpoint, and each checkpoint took tens of MB more while it
 * compressed them; at 1M lab names peak RSS went from 301 MiB (no writes) to
 * 386–429 MiB. A batch staged in a scratch table and copied to its own file
 * leaves nothing behind but the file.
 */
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckdbConfig } from './duckdb-files.ts';
import { DatasetInputError } from './errors.ts';
import { isPathName, PATH_NAME_RULE } from './path-name.ts';
import { validateRunId } from './version-ref.ts';
import { rowFilePath, rowsDir, runRowsDir, ROW_FILE_PREFIX, SCHEMA_ROW_FILE } from './layout.ts';
import { appendValue } from './row-appender.ts';
import { COLUMNS, FLOW_COLUMNS, type ColumnSpec, type DatasetRow, type FlowStats } from './schema.ts';
import { columnDefinitions, literal } from './sql.ts';

/** Columns of a row file: the batch key, the record, then flow statistics (null for live rows). */
export const ROW_FILE_COLUMNS: readonly Pick<ColumnSpec, 'name' | 'type'>[] = [
  { name: 'batch_id', type: 'VARCHAR' },
  ...COLUMNS,
  ...FLOW_COLUMNS,
];

// NOT NULL of the record is enforced when a batch is staged; flow columns are nullable (live rows have none).
const STAGED_TABLE_SQL = `CREATE OR REPLACE TEMP TABLE staged (batch_id VARCHAR NOT NULL, ${columnDefinitions(COLUMNS)}, ${columnDefinitions(FLOW_COLUMNS, { allNullable: true })})`;

/** Run and batch ids become path segments: run ids follow the one rule for names (path-name.ts), batch ids too. */
export function checkRowFileId(kind: 'run' | 'batch', id: string): void {
  if (kind === 'run') validateRunId(id);
  else if (!isPathName(id))
    throw new DatasetInputError(`batch id "${id}" cannot name a row file: use ${PATH_NAME_RULE}`);
}

/**
 * A SELECT over every row file (union by name, so files written before a
 * column was added read as null there). The schema file, always present and
 * empty, keeps the glob from matching nothing.
 */
export function rowFilesSelect(dataDir: string): string {
  return `SELECT * EXCLUDE (filename) FROM read_parquet(${literal(join(rowsDir(dataDir), '*', '*.parquet'))}, union_by_name = true, filename = true)`;
}

/** Writes row files through a scratch in-memory DuckDB whose staged rows are dropped after each file. */
export class RowFileWriter {
  private constructor(
    private readonly dataDir: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(dataDir: string): Promise<RowFileWriter> {
    const instance = await DuckDBInstance.create(':memory:', { ...duckdbConfig(), threads: '1' });
    const conn = await instance.connect();
    const writer = new RowFileWriter(dataDir, instance, conn);
    // Rewritten at every open, so it always carries the current columns.
    await writer.write(join(rowsDir(dataDir), SCHEMA_ROW_FILE), async () => undefined);
    return writer;
  }

  /** Stages `rows` as batch `batchId` and writes them to the batch's row file (atomically: temp file, fsync, rename). */
  async writeRows(
    runId: string,
    batchId: string,
    rows: readonly (DatasetRow | (DatasetRow & FlowStats))[],
  ): Promise<string> {
    const path = rowFilePath(this.dataDir, runId, batchId);
    await this.write(path, async () => {
      const appender = await this.conn.createAppender('staged');
      try {
        for (const [i, row] of rows.entries()) {
          if (row.run_id !== runId) {
            throw new DatasetInputError(
              `writeBatch ${runId}/${batchId}: row ${i} has run_id "${row.run_id}", expected "${runId}"`,
            );
          }
          appender.appendVarchar(batchId);
          const values = row as unknown as Record<string, unknown>;
          for (const column of ROW_FILE_COLUMNS.slice(1)) appendValue(appender, column, values[column.name]);
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    });
    return path;
  }

  /** The same from a SELECT (matched by column name), for bulk loads such as the export benchmark's million rows. */
  async writeSelect(runId: string, batchId: string, selectSql: string): Promise<string> {
    const path = rowFilePath(this.dataDir, runId, batchId);
    await this.write(path, async () => {
      await this.conn.run(`INSERT INTO staged BY NAME (${selectSql})`);
    });
    return path;
  }

  private async write(path: string, fill: () => Promise<void>): Promise<void> {
    const tmp = `${path}.tmp-${process.pid}`;
    await mkdir(dirname(path), { recursive: true });
    await this.conn.run(STAGED_TABLE_SQL);
    try {
      await fill();
      await this.conn.run(`COPY staged TO ${literal(tmp)} (FORMAT parquet, COMPRESSION snappy)`);
      const handle = await open(tmp, 'r');
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    } finally {
      await this.conn.run('DROP TABLE IF EXISTS staged');
    }
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/**
 * Removes what a crash can leave: temp files, and row files of batches the
 * catalogue does not list (written, but the crash came before the batch was
 * recorded; the batch is delivered again and rewrites it).
 */
export async function removeStrayRowFiles(
  dataDir: string,
  recorded: (runId: string, batchId: string) => boolean,
): Promise<number> {
  let removed = 0;
  let runs: string[];
  try {
    runs = await readdir(rowsDir(dataDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  for (const runId of runs) {
    let files: string[];
    try {
      files = await readdir(runRowsDir(dataDir, runId));
    } catch {
      continue; // the schema file, or not a directory
    }
    for (const file of files) {
      const batchId =
        file.startsWith(ROW_FILE_PREFIX) && file.endsWith('.parquet')
          ? file.slice(ROW_FILE_PREFIX.length, -'.parquet'.length)
          : null;
      if (file.includes('.tmp-') || (batchId !== null && !recorded(runId, batchId))) {
        await rm(join(runRowsDir(dataDir, runId), file), { force: true });
        removed += 1;
      }
    }
  }
  return removed;
}
