import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { LABEL_COLUMNS, type LabelFields } from '@osfp/dataset';
import { addressToNumber, ipv4ToAddressNumber, numberToAddress, type AddressNumber } from '../targets/address.ts';

/** One host of a batch: its address, every target name that resolved to it, and a label it may reuse. */
export interface IndexedHost {
  readonly ip: string;
  readonly domains: readonly string[];
  /** The dataset's recent label of this address (--label-max-age), if it has one; see `importReusableLabels`. */
  readonly reusableLabel: LabelFields | null;
}

const q = (name: string): string => `"${name}"`;

/** A dotted quad as a 32-bit number (null for anything else), in SQL. */
const IPV4_TO_NUMBER = (column: string): string =>
  `TRY_CAST(${[24, 16, 8, 0].map((shift, i) => `(TRY_CAST(split_part(${column}, '.', ${i + 1}) AS UBIGINT) << ${shift})`).join(' + ')} AS UINTEGER)`;
/** The same as an address number (targets/address.ts: IPv4 as ::ffff:a.b.c.d), in SQL. */
const IPV4_TO_ADDRESS_NUMBER = (column: string): string =>
  `(${(0xffffn << 32n).toString()}::UHUGEINT + ${IPV4_TO_NUMBER(column)})`;

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
  private reusable: boolean | undefined;

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
    const reuse = await this.hasReusableLabels();
    // Both tables are sorted by address: the range reads only the blocks their zone maps select.
    const reader = await this.connection.runAndReadAll(
      `WITH h AS (SELECT ip, list_sort(list_distinct(list(domain))) AS domains FROM pairs_by_ip
                  WHERE ip BETWEEN $1 AND $2 GROUP BY ip)
       SELECT h.ip, h.domains${reuse ? `, ${LABEL_COLUMNS.map((c) => `l.${q(c.name)}`).join(', ')}` : ''} FROM h
       ${reuse ? 'LEFT JOIN reusable_labels l ON l.ip = h.ip AND l.ip BETWEEN $1 AND $2' : ''}
       ORDER BY h.ip`,
      [String(range['lo']), String(range['hi'])],
    );
    return reader.getRowObjectsJS().map((row) => ({
      ip: numberToAddress(
        this.legacyIpv4 ? ipv4ToAddressNumber(Number(row['ip'])) : BigInt(row['ip'] as bigint | number),
      ),
      domains: ((row['domains'] as (string | null)[] | null) ?? []).filter((d): d is string => d !== null),
      reusableLabel: reuse && row['label_status'] != null ? labelOf(row) : null,
    }));
  }

  /** True once `importReusableLabels` ran for this run (a resumed run keeps the labels it started with). */
  async hasReusableLabels(): Promise<boolean> {
    this.reusable ??=
      (
        await this.connection.runAndReadAll(
          "SELECT 1 FROM information_schema.tables WHERE table_name = 'reusable_labels'",
        )
      ).currentRowCount > 0;
    return this.reusable;
  }

  /**
   * Keeps, for --label-max-age, the labels of the run's hosts found in
   * `parquetPath` (ip and label columns, as the store's writeLatestLabels
   * writes them), sorted by address beside the hosts, so that each batch
   * reads its own. On disk, like the rest of the index: a million labels do
   * not stay in the coordinator's memory. Once per run; returns how many.
   */
  async importReusableLabels(parquetPath: string): Promise<number> {
    if (!(await this.hasReusableLabels())) {
      const source = `read_parquet('${parquetPath.replaceAll("'", "''")}')`;
      // Dotted quads convert in SQL; IPv6 texts (no SQL parser for them here) through address.ts, via a table.
      await this.connection.run('CREATE OR REPLACE TABLE ipv6_numbers (text VARCHAR, ip UHUGEINT)');
      if (!this.legacyIpv4) await this.numberIpv6Labels(source);
      const ip = this.legacyIpv4
        ? IPV4_TO_NUMBER('l.ip')
        : `CASE WHEN contains(l.ip, ':') THEN v6.ip ELSE ${IPV4_TO_ADDRESS_NUMBER('l.ip')} END`;
      await this.connection.run(`
        CREATE TABLE reusable_labels AS
        SELECT * FROM (SELECT ${ip} AS ip, ${LABEL_COLUMNS.map((c) => `l.${q(c.name)}`).join(', ')}
                       FROM ${source} l LEFT JOIN ipv6_numbers v6 ON v6.text = l.ip)
        WHERE ip IN (SELECT ip FROM hosts) ORDER BY ip`);
      await this.connection.run('DROP TABLE ipv6_numbers');
      await this.connection.run('CHECKPOINT');
      this.reusable = true;
    }
    const reader = await this.connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM reusable_labels');
    return Number(reader.getRowObjectsJS()[0]?.['n'] ?? 0);
  }

  /** Fills ipv6_numbers with the number of each IPv6 address of the labels file (held at once: few beside the IPv4 ones). */
  private async numberIpv6Labels(source: string): Promise<void> {
    const texts = (await this.connection.runAndReadAll(`SELECT ip FROM ${source} WHERE contains(ip, ':')`))
      .getRowObjectsJS()
      .map((row) => String(row['ip']));
    const appender = await this.connection.createAppender('ipv6_numbers');
    try {
      for (const text of texts) {
        let n: AddressNumber;
        try {
          n = addressToNumber(text);
        } catch {
          continue; // not an address: it matches no host
        }
        appender.appendVarchar(text);
        appender.appendUHugeInt(n);
        appender.endRow();
      }
    } finally {
      appender.closeSync();
    }
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

function labelOf(row: Record<string, unknown>): LabelFields {
  const fields: Record<string, unknown> = {};
  for (const c of LABEL_COLUMNS) fields[c.name] = row[c.name] ?? null;
  return fields as LabelFields;
}
