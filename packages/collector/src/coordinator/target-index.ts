import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { ipv4ToAddressNumber, numberToAddress, type AddressNumber } from '../targets/address.ts';

/** One host of a batch: its address and every target name that resolved to it. */
export interface IndexedHost {
  readonly ip: string;
  readonly domains: readonly string[];
}

/**
 * The run's set of targets, on disk (a DuckDB file in the run's directory, 24 MB of buffer that spills to disk):
 * every (address, name) pair as it was read, then one row per distinct
 * address with all its names, numbered into batches. Keeping it on disk is
 * what lets a million targets be deduplicated, joined with every name that
 * resolved to them, and resumed after a crash, while the coordinator's memory
 * stays flat. Redis only ever sees the batches in flight. It also records
 * each joined batch's outcome (counts), which the run summary adds up.
 */
export class TargetIndex {
  private appender: DuckDBAppender | null = null;
  private pendingRows = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** An index written before IPv6 (a run resumed across the upgrade) holds plain 32-bit IPv4 numbers. */
    private readonly legacyIpv4: boolean,
  ) {}

  static async open(path: string): Promise<TargetIndex> {
    await mkdir(dirname(path), { recursive: true });
    // A small buffer pool that spills to disk: the index must not grow the coordinator with the target count.
    const instance = await DuckDBInstance.create(path, {
      memory_limit: '24MB',
      threads: '1',
      preserve_insertion_order: 'false',
    });
    const connection = await instance.connect();
    await connection.run('CREATE TABLE IF NOT EXISTS pairs (ip UHUGEINT NOT NULL, domain VARCHAR)');
    await connection.run(
      'CREATE TABLE IF NOT EXISTS batch_outcomes (batch_no INTEGER PRIMARY KEY, outcome VARCHAR NOT NULL)',
    );
    const types = await connection.runAndReadAll(
      "SELECT data_type FROM information_schema.columns WHERE table_name IN ('pairs', 'pairs_by_ip') AND column_name = 'ip'",
    );
    const legacyIpv4 = types.getRowObjectsJS().some((row) => row['data_type'] === 'UINTEGER');
    return new TargetIndex(instance, connection, legacyIpv4);
  }

  /** True once `seal` ran: the batches are fixed and ingest must not run again (resume). */
  async isSealed(): Promise<boolean> {
    const reader = await this.connection.runAndReadAll(
      "SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_name = 'hosts'",
    );
    return Number(reader.getRowObjectsJS()[0]?.['n'] ?? 0) > 0;
  }

  /** Forgets a half-finished ingest (a crash before `seal`), so it can start over. */
  async clear(): Promise<void> {
    await this.connection.run('DELETE FROM pairs');
  }

  /** `ip` as an address number (targets/address.ts): both families in one sortable column. */
  async add(ip: AddressNumber, domain: string | null): Promise<void> {
    this.appender ??= await this.connection.createAppender('pairs');
    this.appender.appendUHugeInt(ip);
    if (domain === null) this.appender.appendNull();
    else this.appender.appendVarchar(domain);
    this.appender.endRow();
    this.pendingRows += 1;
    if (this.pendingRows >= 10_000) {
      this.appender.flushSync();
      this.pendingRows = 0;
    }
  }

  /** Fixes the host set and numbers it into batches; returns the host and batch counts. */
  async seal(batchSize: number): Promise<{ hosts: number; batches: number }> {
    if (this.appender) {
      this.appender.flushSync();
      this.appender.closeSync();
      this.appender = null;
    }
    if (!(await this.isSealed())) {
      // Sorting and DISTINCT spill to disk; a list aggregate over every pair would
      // not (DuckDB keeps list state in memory), so names are gathered per batch.
      // Sorted by address: neighbouring batches hit neighbouring networks, and a
      // batch's range query reads only the blocks its zone maps select.
      await this.connection.run('CREATE TABLE pairs_by_ip AS SELECT ip, domain FROM pairs ORDER BY ip');
      await this.connection.run(`
        CREATE TABLE hosts AS
        SELECT ip, ((row_number() OVER (ORDER BY ip)) - 1) // ${Math.trunc(batchSize)} AS batch_no
        FROM (SELECT DISTINCT ip FROM pairs_by_ip)`);
      await this.connection.run('DROP TABLE pairs');
      await this.connection.run('CHECKPOINT');
    }
    return this.counts();
  }

  async counts(): Promise<{ hosts: number; batches: number }> {
    const reader = await this.connection.runAndReadAll(
      'SELECT count(*)::INTEGER AS hosts, coalesce(max(batch_no) + 1, 0)::INTEGER AS batches FROM hosts',
    );
    const row = reader.getRowObjectsJS()[0];
    return { hosts: Number(row?.['hosts'] ?? 0), batches: Number(row?.['batches'] ?? 0) };
  }

  async batch(batchNo: number): Promise<IndexedHost[]> {
    const range = (
      await this.connection.runAndReadAll('SELECT min(ip) AS lo, max(ip) AS hi FROM hosts WHERE batch_no = $1', [
        batchNo,
      ])
    ).getRowObjectsJS()[0];
    if (!range || range['lo'] === null) return [];
    const reader = await this.connection.runAndReadAll(
      `SELECT ip, list_sort(list_distinct(list(domain))) AS domains FROM pairs_by_ip
       WHERE ip BETWEEN $1 AND $2 GROUP BY ip ORDER BY ip`,
      [String(range['lo']), String(range['hi'])],
    );
    return reader.getRowObjectsJS().map((row) => ({
      ip: numberToAddress(
        this.legacyIpv4 ? ipv4ToAddressNumber(Number(row['ip'])) : BigInt(row['ip'] as bigint | number),
      ),
      domains: ((row['domains'] as (string | null)[] | null) ?? []).filter((d): d is string => d !== null),
    }));
  }

  /** Records what joining a batch gave; idempotent (a batch joined twice keeps its last outcome). */
  async recordOutcome(batchNo: number, outcome: object): Promise<void> {
    await this.connection.run('INSERT OR REPLACE INTO batch_outcomes VALUES ($1, $2)', [
      batchNo,
      JSON.stringify(outcome),
    ]);
  }

  async joinedBatches(): Promise<Set<number>> {
    const reader = await this.connection.runAndReadAll('SELECT batch_no FROM batch_outcomes');
    return new Set(reader.getRowObjectsJS().map((row) => Number(row['batch_no'])));
  }

  async outcomes<T>(): Promise<T[]> {
    const reader = await this.connection.runAndReadAll('SELECT outcome FROM batch_outcomes ORDER BY batch_no');
    return reader.getRowObjectsJS().map((row) => JSON.parse(String(row['outcome'])) as T);
  }

  close(): void {
    this.appender?.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
