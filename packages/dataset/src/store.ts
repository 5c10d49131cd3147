/**
 * The store: the data directory's catalogue of runs and written batches (an
 * embedded DuckDB file) and the batches' rows (one Parquet row file per
 * batch, see row-files.ts), from which versions are built.
 *
 * Writes are idempotent per (run, batch): a batch's row file is complete
 * before the batch is recorded, so a batch delivered twice (at-least-once
 * queues) keeps one copy and a crash mid-write leaves none (a row file
 * without its record is removed at the next open). The catalogue names the
 * file holding each batch and reads go only to those files; a run's small
 * batch files are merged before it is read in bulk (compaction.ts). Only one
 * process (the coordinator) may open the store: DuckDB locks the catalogue.
 */
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { copyToCsv, copyToParquet, csvProjection, duckdbConfig, PARQUET_ROW_GROUP_ROWS } from './duckdb-files.ts';
import { DatasetInputError, messageOf } from './errors.ts';
import {
  BATCH_FILE_SQL,
  BATCH_ORDER,
  compactRun,
  DEFAULT_COMPACTION,
  takeOutOfSharedFile,
  type CompactionContext,
  type CompactionLimits,
} from './compaction.ts';
import { batchFileName, MIGRATED_ROW_FILE, runRowsDir, storePath } from './layout.ts';
import type { ManifestColumn, ManifestRun, VersionManifest } from './manifest.ts';
import type { Provenance, StageCounts } from './provenance.ts';
import { checkRowFileId, removeStrayRowFiles, rowFilesSource, RowFileWriter, ROW_FILE_COLUMNS } from './row-files.ts';
import {
  COLUMNS,
  FEATURE_SCHEMA_VERSION,
  FLOW_COLUMNS,
  LABEL_COLUMNS,
  type DatasetRow,
  type FlowStats,
} from './schema.ts';
import { columnList, ident, literal } from './sql.ts';
import { validateDatasetName, validateRunId } from './version-ref.ts';
import { writeVersion, type ExportFormat } from './version-writer.ts';

export interface RunInfo {
  runId: string;
  dataset: string;
  startedAt: Date;
  targetsFile: string | null;
  targetsSha256: string | null;
  options: Record<string, unknown>;
  /** Recorded so that `osfp dataset build` can later give the version its provenance. */
  provenance?: Provenance | null;
}

export interface BuildOptions {
  runs: string[];
  /** Defaults to the provenance recorded with the first run that has one. */
  provenance?: Provenance;
  /** Defaults to the sum of the counts recorded for the runs (recordCounts). */
  counts?: StageCounts;
  formats?: ExportFormat[];
}

export interface DatasetStore {
  /** Idempotent: registering a run again keeps the first registration. */
  registerRun(run: RunInfo): Promise<void>;
  getRun(runId: string): Promise<RunInfo | null>;
  /** Idempotent per (run, batch) and atomic. Rows may carry flow statistics (imported captures). */
  writeBatch(
    runId: string,
    batchId: string,
    rows: readonly (DatasetRow | (DatasetRow & FlowStats))[],
  ): Promise<{ written: number; duplicate: boolean }>;
  /**
   * Writes one batch from a SELECT (columns matched by name), replacing any
   * earlier batch of that id: the bulk path, for tools that load many rows at once.
   */
  writeBatchFromSql(runId: string, batchId: string, selectSql: string): Promise<{ written: number }>;
  batchesWritten(runId: string): Promise<Set<string>>;
  /** Stores a run's stage counts (replacing earlier ones) for later builds. */
  recordCounts(runId: string, counts: StageCounts): Promise<void>;
  /** Builds the next version of `dataset` from the rows of `opts.runs`. */
  buildVersion(dataset: string, opts: BuildOptions): Promise<VersionManifest>;
  /**
   * Writes the rows of `runs` straight to a Parquet or CSV file, in store
   * order, without making a version: a raw dump (measured by the
   * dataset-export benchmark). Unlike buildVersion it does not sort: sorting
   * every column of 1M rows triples the CPU time. Returns the row count.
   */
  exportRows(runs: string[], opts: { format: ExportFormat; out: string }): Promise<{ rows: number }>;
  /**
   * For --label-max-age: writes the newest `ok` label of every ip in this
   * dataset's runs, no older than maxAgeMs, to a Parquet file at `out`
   * (columns `ip` and the label columns, one row per ip; temp name, then
   * rename). A file and not a map: a million labels would hold the
   * coordinator's memory for the whole run; the coordinator joins the file
   * into its target index instead. Returns how many ips have a label.
   */
  writeLatestLabels(dataset: string, maxAgeMs: number, out: string): Promise<{ labels: number }>;
  /**
   * Merges the small batch files of these runs (default: every run) into
   * larger ones (see compaction.ts). Reads in bulk do it themselves; this is
   * for tools and tests. Idempotent.
   */
  compact(runIds?: readonly string[]): Promise<{ merged: number; files: number }>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** When and how far batch files are merged (defaults: DEFAULT_COMPACTION). */
  readonly compaction?: Partial<CompactionLimits>;
}

// 2: rows moved from a DuckDB table to row files (a store/1 is migrated when opened). The file that holds a
// merged batch is named in `batches.file`, a column added in place: an older osfp, which reads every row file
// of the directory, still reads merged runs.
const STORE_FORMAT = 'osfp-store/2';
/** The rows table of osfp-store/1. */
const LEGACY_ROWS_TABLE = 'dataset_rows';

// Deterministic order, down to rows that share a key: the same rows always make the same file.
const VERSION_ORDER = 'ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses';

export async function openStore(dataDir: string, options: StoreOptions = {}): Promise<DatasetStore> {
  await mkdir(dataDir, { recursive: true });
  const path = storePath(dataDir);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, duckdbConfig());
  } catch (error) {
    const message = messageOf(error);
    const hint = /lock/i.test(message)
      ? 'it is open in another process (only the coordinator may open the store; stop it or use another --data-dir)'
      : 'it is not a DuckDB database (foreign or damaged file?)';
    throw new DatasetInputError(`cannot open the store ${path}: ${hint}: ${message}`, { cause: error });
  }
  const conn = await instance.connect();
  let writer: RowFileWriter | null = null;
  try {
    const schema = await prepareSchema(conn, path);
    writer = await RowFileWriter.open(dataDir);
    if (schema.legacyRows) await migrateRowsTable(conn, dataDir);
    else if (schema.fileColumnAdded) await nameMigratedFiles(conn, dataDir);
    const referenced = new Set(
      (await conn.runAndReadAll(`SELECT DISTINCT run_id, ${BATCH_FILE_SQL} AS file FROM batches`))
        .getRowObjectsJS()
        .map((r) => `${String(r['run_id'])}/${String(r['file'])}`),
    );
    await removeStrayRowFiles(dataDir, (runId, file) => referenced.has(`${runId}/${file}`));
  } catch (error) {
    writer?.close();
    conn.closeSync();
    instance.closeSync();
    throw error;
  }
  return new DuckDBStore(dataDir, instance, conn, writer, { ...DEFAULT_COMPACTION, ...options.compaction });
}

/**
 * Creates the catalogue tables. Says whether the store still has a rows table
 * (osfp-store/1) to migrate, and whether `batches.file` was just added (a
 * store written before compaction).
 */
async function prepareSchema(
  conn: DuckDBConnection,
  path: string,
): Promise<{ legacyRows: boolean; fileColumnAdded: boolean }> {
  const tables = new Set(
    (await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'`))
      .getRowObjectsJS()
      .map((r) => String(r['table_name'])),
  );
  if (tables.size > 0 && !tables.has('osfp_store')) {
    throw new DatasetInputError(
      `${path} is a DuckDB database but not an osfp store (no osfp_store table); use another --data-dir`,
    );
  }
  await conn.run(`CREATE TABLE IF NOT EXISTS osfp_store (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`);
  await conn.run(`INSERT INTO osfp_store VALUES ('format', ${literal(STORE_FORMAT)}) ON CONFLICT DO NOTHING`);
  await conn.run(`CREATE TABLE IF NOT EXISTS runs (
      run_id VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL,
      targets_file VARCHAR, targets_sha256 VARCHAR, options VARCHAR NOT NULL, provenance VARCHAR, counts VARCHAR)`);
  // file: the row file holding the batch, in its run's directory; null: its own (b-BATCH.parquet).
  await conn.run(`CREATE TABLE IF NOT EXISTS batches (
      run_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, rows INTEGER NOT NULL, written_at TIMESTAMP NOT NULL,
      file VARCHAR, PRIMARY KEY (run_id, batch_id))`);
  const hasFile =
    (
      await conn.runAndReadAll(
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'batches' AND column_name = 'file'`,
      )
    ).currentRowCount > 0;
  if (!hasFile) await conn.run(`ALTER TABLE batches ADD COLUMN file VARCHAR`);
  return { legacyRows: tables.has(LEGACY_ROWS_TABLE), fileColumnAdded: !hasFile };
}

/**
 * A store migrated from osfp-store/1 before `batches.file` existed keeps
 * each migrated run's rows in `migrated.parquet`: its batches (those without
 * a file of their own) are pointed at it, once, when the column is added.
 */
async function nameMigratedFiles(conn: DuckDBConnection, dataDir: string): Promise<void> {
  const batches = (await conn.runAndReadAll(`SELECT run_id, batch_id FROM batches WHERE file IS NULL`))
    .getRowObjectsJS()
    .map((r) => ({ runId: String(r['run_id']), batchId: String(r['batch_id']) }));
  const exists = (path: string) =>
    access(path).then(
      () => true,
      () => false,
    );
  for (const { runId, batchId } of batches) {
    const dir = runRowsDir(dataDir, runId);
    if (!(await exists(join(dir, batchFileName(batchId)))) && (await exists(join(dir, MIGRATED_ROW_FILE)))) {
      await conn.run(`UPDATE batches SET file = $1 WHERE run_id = $2 AND batch_id = $3`, [
        MIGRATED_ROW_FILE,
        runId,
        batchId,
      ]);
    }
  }
}

/**
 * osfp-store/1 kept rows in a table: each run's rows become one row file
 * (`rows/RUN/migrated.parquet`), then the table goes. Rerunning after a crash
 * rewrites the same files, so nothing is lost or doubled.
 */
async function migrateRowsTable(conn: DuckDBConnection, dataDir: string): Promise<void> {
  const present = new Set(
    (
      await conn.runAndReadAll(
        `SELECT column_name FROM information_schema.columns WHERE table_name = '${LEGACY_ROWS_TABLE}'`,
      )
    )
      .getRowObjectsJS()
      .map((r) => String(r['column_name'])),
  );
  const columns = ROW_FILE_COLUMNS.map((c) =>
    present.has(c.name) ? ident(c.name) : `NULL::${c.type} AS ${ident(c.name)}`,
  ).join(', ');
  const runs = (await conn.runAndReadAll(`SELECT DISTINCT run_id FROM ${LEGACY_ROWS_TABLE}`))
    .getRowObjectsJS()
    .map((r) => String(r['run_id']));
  for (const runId of runs) {
    checkRowFileId('run', runId);
    const file = join(runRowsDir(dataDir, runId), MIGRATED_ROW_FILE);
    await mkdir(runRowsDir(dataDir, runId), { recursive: true });
    await conn.run(
      `COPY (SELECT ${columns} FROM ${LEGACY_ROWS_TABLE} WHERE run_id = ${literal(runId)}) TO ${literal(`${file}.tmp-migrate`)} (FORMAT parquet, COMPRESSION snappy)`,
    );
    await rename(`${file}.tmp-migrate`, file);
    await conn.run(`UPDATE batches SET file = $1 WHERE run_id = $2`, [MIGRATED_ROW_FILE, runId]);
  }
  await conn.run(`DROP TABLE ${LEGACY_ROWS_TABLE}`);
  await conn.run(`UPDATE osfp_store SET value = ${literal(STORE_FORMAT)} WHERE key = 'format'`);
  await conn.run('CHECKPOINT');
}

class DuckDBStore implements DatasetStore {
  // One connection, one transaction at a time: calls are queued.
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly dataDir: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly rowFiles: RowFileWriter,
    private readonly compaction: CompactionLimits,
  ) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the dataset store is closed'));
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  registerRun(run: RunInfo): Promise<void> {
    validateDatasetName(run.dataset);
    checkRowFileId('run', run.runId);
    return this.serial(async () => {
      await this.conn.run(
        `INSERT INTO runs VALUES ($1, $2, $3::TIMESTAMP, $4, $5, $6, $7, NULL) ON CONFLICT DO NOTHING`,
        [
          run.runId,
          run.dataset,
          run.startedAt.toISOString(),
          run.targetsFile,
          run.targetsSha256,
          JSON.stringify(run.options),
          run.provenance ? JSON.stringify(run.provenance) : null,
        ],
      );
    });
  }

  getRun(runId: string): Promise<RunInfo | null> {
    return this.serial(async () => (await this.readRuns([runId]))[0] ?? null);
  }

  private async readRuns(runIds: readonly string[]): Promise<RunInfo[]> {
    if (runIds.length === 0) return [];
    const reader = await this.conn.runAndReadAll(
      `SELECT run_id, dataset, strftime(started_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS started_at, targets_file, targets_sha256, options, provenance
       FROM runs WHERE run_id IN (${runIds.map(literal).join(', ')}) ORDER BY run_id`,
    );
    return reader.getRowObjectsJS().map((r) => ({
      runId: String(r['run_id']),
      dataset: String(r['dataset']),
      startedAt: new Date(String(r['started_at'])),
      targetsFile: r['targets_file'] === null ? null : String(r['targets_file']),
      targetsSha256: r['targets_sha256'] === null ? null : String(r['targets_sha256']),
      options: JSON.parse(String(r['options'])) as Record<string, unknown>,
      provenance: r['provenance'] === null ? null : (JSON.parse(String(r['provenance'])) as Provenance),
    }));
  }

  writeBatch(
    runId: string,
    batchId: string,
    rows: readonly (DatasetRow | (DatasetRow & FlowStats))[],
  ): Promise<{ written: number; duplicate: boolean }> {
    return this.serial(async () => {
      await this.checkBatchKey('writeBatch', runId, batchId);
      const exists = await this.conn.runAndReadAll(`SELECT 1 FROM batches WHERE run_id = $1 AND batch_id = $2`, [
        runId,
        batchId,
      ]);
      if (exists.currentRowCount > 0) return { written: 0, duplicate: true };
      try {
        // The file first, then its record: a crash in between leaves a stray file, removed at the next open.
        await this.rowFiles.writeRows(runId, batchId, rows);
        await this.recordBatch(runId, batchId, rows.length);
        return { written: rows.length, duplicate: false };
      } catch (error) {
        if (error instanceof DatasetInputError) throw error;
        throw new Error(`writeBatch ${runId}/${batchId}: nothing written: ${messageOf(error)}`, { cause: error });
      }
    });
  }

  writeBatchFromSql(runId: string, batchId: string, selectSql: string): Promise<{ written: number }> {
    return this.serial(async () => {
      await this.checkBatchKey('writeBatchFromSql', runId, batchId);
      const earlier = (
        await this.conn.runAndReadAll(`SELECT file FROM batches WHERE run_id = $1 AND batch_id = $2`, [runId, batchId])
      ).getRowObjectsJS()[0];
      const shared = earlier?.['file'];
      if (typeof shared === 'string') await takeOutOfSharedFile(this.compactionContext(), runId, batchId, shared);
      else await this.conn.run(`DELETE FROM batches WHERE run_id = $1 AND batch_id = $2`, [runId, batchId]);
      const path = await this.rowFiles.writeSelect(runId, batchId, selectSql);
      const n = Number(
        (
          await this.conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet(${literal(path)})`)
        ).getRowObjectsJS()[0]?.['n'] ?? 0,
      );
      await this.recordBatch(runId, batchId, n);
      return { written: n };
    });
  }

  private async recordBatch(runId: string, batchId: string, rows: number): Promise<void> {
    await this.conn.run(
      `INSERT INTO batches (run_id, batch_id, rows, written_at, file) VALUES ($1, $2, $3, now()::TIMESTAMP, NULL)`,
      [runId, batchId, rows],
    );
  }

  private compactionContext(): CompactionContext {
    return { dataDir: this.dataDir, conn: this.conn, writer: this.rowFiles, limits: this.compaction };
  }

  compact(runIds?: readonly string[]): Promise<{ merged: number; files: number }> {
    return this.serial(async () => {
      const ids = runIds ?? (await this.knownRunIds());
      return this.compactRuns(ids);
    });
  }

  private async compactRuns(runIds: readonly string[]): Promise<{ merged: number; files: number }> {
    const total = { merged: 0, files: 0 };
    for (const runId of runIds) {
      const { merged, files } = await compactRun(this.compactionContext(), runId);
      total.merged += merged;
      total.files += files;
    }
    return total;
  }

  /**
   * The rows of `runIds` as a table function over exactly the files the
   * catalogue names for them, merged first where a run has many small ones.
   */
  private async rowsOf(runIds: readonly string[]): Promise<string> {
    await this.compactRuns(runIds);
    if (runIds.length === 0) return `(SELECT * FROM ${rowFilesSource(this.dataDir, [])} WHERE false)`;
    const files = (
      await this.conn.runAndReadAll(
        `SELECT run_id, ${BATCH_FILE_SQL} AS file, min(position) AS first FROM (
           SELECT *, row_number() OVER (ORDER BY run_id, ${BATCH_ORDER}) AS position FROM batches
           WHERE run_id IN (${runIds.map(literal).join(', ')}))
         GROUP BY ALL ORDER BY first`,
      )
    )
      .getRowObjectsJS()
      .map((r) => join(runRowsDir(this.dataDir, String(r['run_id'])), String(r['file'])));
    return `(SELECT * FROM ${rowFilesSource(this.dataDir, files)} WHERE run_id IN (${runIds.map(literal).join(', ')}))`;
  }

  private async checkBatchKey(caller: string, runId: string, batchId: string): Promise<void> {
    checkRowFileId('run', runId);
    checkRowFileId('batch', batchId);
    const known = await this.conn.runAndReadAll(`SELECT 1 FROM runs WHERE run_id = $1`, [runId]);
    if (known.currentRowCount === 0)
      throw new DatasetInputError(`${caller}: run "${runId}" is not registered (call registerRun first)`);
  }

  batchesWritten(runId: string): Promise<Set<string>> {
    return this.serial(async () => {
      const reader = await this.conn.runAndReadAll(`SELECT batch_id FROM batches WHERE run_id = $1`, [runId]);
      return new Set(reader.getRowObjectsJS().map((r) => String(r['batch_id'])));
    });
  }

  recordCounts(runId: string, counts: StageCounts): Promise<void> {
    return this.serial(async () => {
      await this.conn.run(`UPDATE runs SET counts = $1 WHERE run_id = $2`, [JSON.stringify(counts), runId]);
    });
  }

  buildVersion(dataset: string, opts: BuildOptions): Promise<VersionManifest> {
    validateDatasetName(dataset);
    for (const runId of opts.runs) validateRunId(runId);
    return this.serial(async () => {
      const runIds = [...new Set(opts.runs)].sort();
      if (runIds.length === 0) throw new DatasetInputError(`build ${dataset}: name at least one run`);
      const runs = await this.readRuns(runIds);
      const missing = runIds.filter((id) => !runs.some((r) => r.runId === id));
      if (missing.length > 0) {
        const known = await this.knownRunIds();
        throw new DatasetInputError(
          `build ${dataset}: unknown run(s) ${missing.join(', ')}; runs in this store: ${known.join(', ') || '(none)'}`,
        );
      }
      const inRuns = `run_id IN (${runIds.map(literal).join(', ')})`;
      const rows = await this.rowsOf(runIds);
      const flows = await this.conn.runAndReadAll(
        `SELECT 1 FROM ${rows} WHERE ${ident(FLOW_COLUMNS[0].name)} IS NOT NULL LIMIT 1`,
      );
      const columns: ManifestColumn[] = [...COLUMNS, ...(flows.currentRowCount > 0 ? FLOW_COLUMNS : [])].map((c) => ({
        name: c.name,
        type: c.type,
        nullable: c.nullable,
      }));
      const provenance = opts.provenance ??
        runs.find((r) => r.provenance)?.provenance ?? {
          toolVersion: 'unknown',
          nmapVersion: null,
          nmapOsDbSha256: null,
          taxonomyVersion: null,
          featureSchemaVersion: FEATURE_SCHEMA_VERSION,
        };
      const counts = opts.counts ?? (await this.summedCounts(inRuns, runIds));
      const manifestRuns: ManifestRun[] = runs.map((r) => ({
        runId: r.runId,
        startedAt: r.startedAt.toISOString(),
        targetsFile: r.targetsFile,
        targetsSha256: r.targetsSha256,
        options: r.options,
      }));
      // The sort reads the row files once per range of addresses: their footers are parsed once, not per
      // range (a 1M-row file's footer cost ~30 ms of CPU each time). Only while no row file can change.
      await this.conn.run('SET parquet_metadata_cache = true');
      try {
        return await writeVersion(
          this.dataDir,
          dataset,
          {
            connection: this.conn,
            sorted: {
              fromSql: `SELECT * FROM ${rows}`,
              project: columnList(columns),
              orderBy: VERSION_ORDER,
            },
            columns,
          },
          { runs: manifestRuns, counts, provenance, formats: opts.formats ?? [] },
        );
      } finally {
        await this.conn.run('RESET parquet_metadata_cache');
      }
    });
  }

  exportRows(runs: string[], opts: { format: ExportFormat; out: string }): Promise<{ rows: number }> {
    return this.serial(async () => {
      const runIds = [...new Set(runs)];
      const select = `SELECT ${columnList(COLUMNS)} FROM ${await this.rowsOf(runIds)}`;
      if (opts.format === 'parquet') await copyToParquet(this.conn, select, opts.out);
      else await copyToCsv(this.conn, `SELECT ${csvProjection(COLUMNS)} FROM (${select})`, opts.out);
      return { rows: await this.recordedRows(runIds) };
    });
  }

  private async knownRunIds(): Promise<string[]> {
    const reader = await this.conn.runAndReadAll(`SELECT run_id FROM runs ORDER BY run_id`);
    return reader.getRowObjectsJS().map((r) => String(r['run_id']));
  }

  private async summedCounts(inRuns: string, runIds: readonly string[]): Promise<StageCounts> {
    const reader = await this.conn.runAndReadAll(`SELECT counts FROM runs WHERE ${inRuns} AND counts IS NOT NULL`);
    const sum: StageCounts = {};
    for (const r of reader.getRowObjectsJS()) {
      for (const [stage, n] of Object.entries(JSON.parse(String(r['counts'])) as StageCounts))
        sum[stage] = (sum[stage] ?? 0) + n;
    }
    sum['written'] ??= await this.recordedRows(runIds);
    return sum;
  }

  /** Rows of these runs, as the catalogue counts them (each batch's row count, recorded with it). */
  private async recordedRows(runIds: readonly string[]): Promise<number> {
    if (runIds.length === 0) return 0;
    const reader = await this.conn.runAndReadAll(
      `SELECT coalesce(sum(rows), 0)::BIGINT AS n FROM batches WHERE run_id IN (${runIds.map(literal).join(', ')})`,
    );
    return Number(reader.getRowObjectsJS()[0]?.['n'] ?? 0);
  }

  writeLatestLabels(dataset: string, maxAgeMs: number, out: string): Promise<{ labels: number }> {
    return this.serial(async () => {
      const since = new Date(Date.now() - maxAgeMs).toISOString();
      const runIds = (
        await this.conn.runAndReadAll(`SELECT run_id FROM runs WHERE dataset = $1 ORDER BY run_id`, [dataset])
      )
        .getRowObjectsJS()
        .map((r) => String(r['run_id']));
      const rows = await this.rowsOf(runIds);
      const ok = `(SELECT * FROM ${rows} WHERE label_status = 'ok' AND probed_at >= ${literal(since)}::TIMESTAMP)`;
      // The newest row per ip is found on its key alone (ip, probed_at, run, port: one row per run, ip and
      // port), then joined back for its label: a window over whole rows held ~1.5x the memory at 1M ips.
      const tmp = `${out}.tmp-${process.pid}`;
      try {
        await this.conn.run(
          `COPY (
             WITH newest AS (SELECT ip, max({'t': probed_at, 'r': run_id, 'p': port}) AS k FROM ${ok} GROUP BY ip)
             SELECT o.ip, ${LABEL_COLUMNS.map((c) => `o.${ident(c.name)}`).join(', ')}
             FROM ${ok} o JOIN newest n ON o.ip = n.ip AND o.probed_at = n.k.t AND o.run_id = n.k.r AND o.port = n.k.p
           ) TO ${literal(tmp)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${PARQUET_ROW_GROUP_ROWS})`,
        );
        const n = await this.conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet(${literal(tmp)})`);
        await rename(tmp, out);
        return { labels: Number(n.getRowObjectsJS()[0]?.['n'] ?? 0) };
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      this.closed = true;
      this.rowFiles.close();
      this.conn.closeSync();
      this.instance.closeSync();
    });
  }
}
