/**
 * One step of the dataset-export benchmark, run in its own process so that
 * its peak RSS is its own: `setup DIR N`, `osfp DIR parquet|csv OUT`,
 * `reference DIR parquet|csv OUT`. Prints one JSON line: {seconds, cpuSeconds, rows, peakRssMb}.
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { COLUMNS, duckdbConfig, openStore } from '@osfp/dataset';
import { stringify } from 'csv-stringify';
import { parquetWriteFile, type ColumnSource } from 'hyparquet-writer';
import { join } from 'node:path';

const RUN = 'bench-run';
const BATCH = 'all';
const [mode = '', dir = '', arg = '', out = ''] = process.argv.slice(2);

/**
 * Realistic synthetic rows generated inside DuckDB (a JS appender would spend
 * a minute on setup): 13 classes, lists with two names, nullable columns with
 * nulls, an nmap_guesses JSON document of typical length.
 */
const SYNTHETIC_ROWS = (n: number) => `
  WITH g AS (
    SELECT i, list_extract(['Linux 4.X','Linux 5.X','Linux 3.X','Linux 2.6.X','Linux (Other)','Windows 2016','Windows 2012',
      'FreeBSD 12.X','FreeBSD 13.X','OpenBSD 7.X','macOS 13.X','embedded','Solaris 11'], (i % 13 + 1)::INTEGER) AS cls,
      CASE WHEN i % 2 = 0 THEN 64 ELSE 128 END AS ittl, (i % 17)::INTEGER AS hops
    FROM range(${n}) t(i))
  SELECT 'b' || (i // 500) AS batch_id, '${RUN}' AS run_id,
    '198.' || (18 + ((i >> 16) & 1)) || '.' || ((i >> 8) & 255) || '.' || (i & 255) AS ip,
    CASE WHEN i % 5 = 0 THEN 443 ELSE 80 END AS port,
    CASE WHEN i % 3 = 0 THEN []::VARCHAR[] ELSE ['www.site' || i || '.example', 'site' || i || '.example'] END AS domains,
    TIMESTAMP '2026-01-01' + to_milliseconds(i * 10) AS probed_at,
    CASE WHEN i % 11 = 0 THEN 'timeout' ELSE 'success' END AS probe_status,
    CASE WHEN i % 11 = 0 THEN NULL ELSE 200 END AS http_status,
    CASE WHEN i % 4 = 0 THEN NULL ELSE 'nginx/1.22.1 (Debian, "stable")' END AS http_server,
    10 + (i % 997) / 10 AS rtt_ms, 1 AS synack_count, false AS syn_retransmitted, 4 AS ip_version, ittl - hops AS ip_ttl, ittl AS ip_ittl, hops AS ip_hops, i % 7 <> 0 AS ip_df,
    (i % 65536)::INTEGER AS ip_id, 0 AS ip_tos, 0 AS ip_ecn, 0 AS ip_olen, NULL::INTEGER AS ip_flow, NULL AS ip_ext, (65535 - i % 1000)::INTEGER AS tcp_window,
    1460 AS tcp_mss, (i % 15)::INTEGER AS tcp_wscale, true AS tcp_sack_ok, i % 2 = 0 AS tcp_ts,
    CASE WHEN i % 2 = 0 THEN 3000000000 + i END AS tcp_tsval, '020405b40402080a0000000000000000010303' AS tcp_options,
    'mss,sok,ts,nop,ws' AS tcp_olayout, 'df,id+' AS tcp_quirks, 'mss*44' AS tcp_wsize,
    '4:' || (ittl - hops) || '+' || hops || ':0:1460:mss*44,' || (i % 15) || ':mss,sok,ts,nop,ws:df,id+:0' AS p0f_sig,
    'mss,sok,ts,nop,ws' AS syn_olayout, 1460 AS syn_mss, cls AS label, (85 + i % 16)::INTEGER AS label_acc,
    'Linux 3.X' AS label_2, 80 AS label_2_acc, split_part(cls, ' ', 1) AS os_vendor, split_part(cls, ' ', 1) AS os_family,
    split_part(cls, ' ', 2) AS os_gen, 'general purpose' AS os_type, 'cpe:/o:' || lower(split_part(cls, ' ', 1)) AS os_cpe,
    '[{"name":"' || cls || '","accuracy":95,"line":' || (1000 + i % 50) || ',"classes":[{"type":"general purpose","vendor":"'
      || split_part(cls, ' ', 1) || '","osfamily":"' || split_part(cls, ' ', 1) || '","osgen":"' || split_part(cls, ' ', 2)
      || '","accuracy":95,"cpe":[]}]}]' AS nmap_guesses,
    'ok' AS label_status, i % 3 <> 0 AS nmap_closed_port, i % 3 = 0 AS nmap_unreliable, false AS nmap_too_many_matches,
    CASE WHEN i % 50 = 0 THEN 2 ELSE 1 END AS nmap_tries
  FROM g`;

const PARQUET_TYPE = {
  VARCHAR: 'STRING',
  'VARCHAR[]': 'JSON',
  INTEGER: 'INT32',
  BIGINT: 'INT64',
  DOUBLE: 'DOUBLE',
  BOOLEAN: 'BOOLEAN',
  TIMESTAMP: 'TIMESTAMP',
} as const;

async function setup(n: number): Promise<number> {
  const store = await openStore(dir);
  try {
    await store.registerRun({
      runId: RUN,
      dataset: 'bench',
      startedAt: new Date(0),
      targetsFile: null,
      targetsSha256: null,
      options: {},
    });
    return (await store.writeBatchFromSql(RUN, BATCH, SYNTHETIC_ROWS(n))).written;
  } finally {
    await store.close();
  }
}

async function osfp(format: 'parquet' | 'csv'): Promise<number> {
  const store = await openStore(dir);
  try {
    return (await store.exportRows([RUN], { format, out })).rows;
  } finally {
    await store.close();
  }
}

/** The straightforward JS way: stream the same rows out of the store's row file and hand them to a JS writer. */
async function reference(format: 'parquet' | 'csv'): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:', duckdbConfig());
  const conn = await instance.connect();
  try {
    const result = await conn.stream(
      `SELECT ${COLUMNS.map((c) => `"${c.name}"`).join(', ')} FROM read_parquet('${join(dir, 'rows', RUN, `b-${BATCH}.parquet`)}')`,
    );
    let rows = 0;
    if (format === 'csv') {
      const file = createWriteStream(out);
      const csv = stringify({
        header: true,
        columns: COLUMNS.map((c) => c.name),
        cast: { boolean: (b) => String(b), date: (d) => d.toISOString() },
      });
      csv.pipe(file);
      for await (const chunk of result.yieldRowObjectJs()) {
        for (const row of chunk) {
          rows++;
          if (!csv.write({ ...row, domains: JSON.stringify(row['domains']) }))
            await new Promise((r) => csv.once('drain', r));
        }
      }
      csv.end();
      await finished(file);
    } else {
      // hyparquet-writer takes whole columns: they are gathered in memory first.
      const columns = COLUMNS.map(() => [] as unknown[]);
      for await (const chunk of result.yieldRowObjectJs()) {
        for (const row of chunk) {
          rows++;
          COLUMNS.forEach((c, k) =>
            columns[k]?.push(c.type === 'VARCHAR[]' ? JSON.stringify(row[c.name]) : row[c.name]),
          );
        }
      }
      const columnData: ColumnSource[] = COLUMNS.map((c, k) => ({
        name: c.name,
        data: columns[k] ?? [],
        type: PARQUET_TYPE[c.type],
        nullable: c.nullable,
      }));
      parquetWriteFile({ filename: out, columnData });
    }
    return rows;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const format = arg === 'csv' ? 'csv' : 'parquet';
const started = performance.now();
const cpu = process.cpuUsage();
const rows =
  mode === 'setup' ? await setup(Number(arg)) : mode === 'osfp' ? await osfp(format) : await reference(format);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
const cpuSeconds = (used.user + used.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({ seconds, cpuSeconds, rows, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
