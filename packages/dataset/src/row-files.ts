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
import { duckdbConfig, PARQUET_ROW_GROUP_ROWS } from './duckdb-files.ts';
import { DatasetInputError } from './errors.ts';
import { isPathName, PATH_NAME_RULE } from './path-name.ts';
import { validateRunId } from './version-ref.ts';
import {
  COMPACTED_FILE_PREFIX,
  MIGRATED_ROW_FILE,
  rowFilePath,
  rowsDir,
  runRowsDir,
  ROW_FILE_PREFIX,
  SCHEMA_ROW_FILE,
} from './layout.ts';
import { appendValue } from './row-appender.ts';
import { COLUMNS, FLOW_COLUMNS, type ColumnSpec, type DatasetRow, type FlowStats } from './schema.ts';
import { columnDefinitions, ident, literal } from './sql.ts';

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
 * A table function over the given row files (union by name, so files written
 * before a column was added read as null there). The schema file, always
 * present and empty, comes first so that every current column is there even
 * when no listed file has it, and so that an empty list still reads.
 */
export function rowFilesSource(dataDir: string, paths: readonly string[]): string {
  const files = [join(rowsDir(dataDir), SCHEMA_ROW_FILE), ...paths];
  return `read_parquet([${files.map(literal).join(', ')}], union_by_name = true)`;
}

/** The row file columns, each cast to its type: what a merged file holds, whatever the age of its sources. */
const ROW_FILE_PROJECTION = (): string =>
  ROW_FILE_COLUMNS.map((c) => `CAST(${ident(c.name)} AS ${c.type}) AS ${ident(c.name)}`).join(', ');

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

  /**
   * Writes the rows of `batchIds` found in `sources` (row files of one run, read in the order given) to one
   * new file: the merge of compaction. Streams on one thread, in order, a row group at a time.
   */
  async writeMerged(path: string, sources: readonly string[], batchIds: readonly string[]): Promise<void> {
    await this.atomically(path, async (tmp) => {
      await this.conn.run(
        `COPY (SELECT ${ROW_FILE_PROJECTION()} FROM ${rowFilesSource(this.dataDir, sources)}
           WHERE batch_id IN (${batchIds.map(literal).join(', ')}))
         TO ${literal(tmp)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${PARQUET_ROW_GROUP_ROWS})`,
      );
    });
  }

  /** Stages rows through `fill`, then writes them to `path`. */
  private async write(path: string, fill: () => Promise<void>): Promise<void> {
    await this.conn.run(STAGED_TABLE_SQL);
    try {
      await this.atomically(path, async (tmp) => {
        await fill();
        await this.conn.run(`COPY staged TO ${literal(tmp)} (FORMAT parquet, COMPRESSION snappy)`);
      });
    } finally {
      await this.conn.run('DROP TABLE IF EXISTS staged');
    }
  }

  /**
   * `path` appears complete or not at all: written to a temp name, fsynced, renamed, and the directory
   * fsynced, so that once the catalogue names the file (the caller's next step) a power loss cannot take it.
   */
  private async atomically(path: string, writeTo: (tmp: string) => Promise<void>): Promise<void> {
    const tmp = `${path}.tmp-${process.pid}`;
    await mkdir(dirname(path), { recursive: true });
    try {
      await writeTo(tmp);
      await syncPath(tmp);
      await rename(tmp, path);
      await syncPath(dirname(path));
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Names of the row files the store writes: only these are ever removed. */
const isStoreRowFile = (file: string): boolean =>
  file.endsWith('.parquet') &&
  (file.startsWith(ROW_FILE_PREFIX) || file.startsWith(COMPACTED_FILE_PREFIX) || file === MIGRATED_ROW_FILE);

/**
 * Removes what a crash can leave: temp files, and row files that the
 * catalogue does not name (`referenced(run, file)` is false): a batch written
 * but not yet recorded (it is delivered again and rewrites it), a merged file
 * whose compaction was not recorded, or the files a recorded compaction
 * replaced. Reads go only to files the catalogue names, so none of these is
 * ever read, even before it is removed.
 */
export async function removeStrayRowFiles(
  dataDir: string,
  referenced: (runId: string, file: string) => boolean,
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
      continue; // not a directory
    }
    for (const file of files) {
      if (file.includes('.tmp-') || (isStoreRowFile(file) && !referenced(runId, file))) {
        await rm(join(runRowsDir(dataDir, runId), file), { force: true });
        removed += 1;
      }
    }
  }
  return removed;
}
