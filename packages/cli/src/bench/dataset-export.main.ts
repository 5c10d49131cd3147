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
import { syntheticRowsSql } from './synthetic-store-rows.ts';

const RUN = 'bench-run';
const BATCH = 'all';
const [mode = '', dir = '', arg = '', out = ''] = process.argv.slice(2);

const SYNTHETIC_ROWS = (n: number) => syntheticRowsSql({ runId: RUN, from: 0, to: n, addresses: 'lab' });

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
