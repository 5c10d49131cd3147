/**
 * Writes rows sorted on a key that starts with `ip` to one Parquet file, a
 * range of addresses at a time: each range is sorted and written to its own
 * file, then the files are concatenated in order (one thread keeps the order).
 *
 * Why: DuckDB's sort holds every payload column of every row, so one ORDER BY
 * over a whole run made the version build's peak follow the run's size (at
 * 1M lab names, where each row carries ~15 names, it took the coordinator
 * from 320 to 387 MiB). Ranges of at most SORT_RANGE_ROWS rows bound that;
 * each range reads only the row groups whose ip statistics overlap it.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { copyToParquet } from './duckdb-files.ts';
import { literal } from './sql.ts';

export const SORT_RANGE_ROWS = 16_384;

export interface SortedSource {
  /** A SELECT of the rows, in any order, with an `ip` column and every column `project` and `orderBy` name. */
  readonly fromSql: string;
  /** The columns written (the sort key may use others). */
  readonly project: string;
  /** The ORDER BY list; its first key must be `ip`, so that ranges of ip sort independently. */
  readonly orderBy: string;
}

export async function writeSortedParquet(
  conn: DuckDBConnection,
  source: SortedSource,
  path: string,
  scratchDir: string,
  rangeRows = SORT_RANGE_ROWS,
): Promise<void> {
  if (!/^\s*"?ip"?\s*(,|$)/.test(source.orderBy))
    throw new Error(`writeSortedParquet: the order must start with ip (got ${source.orderBy})`);
  // Upper bounds of consecutive ip ranges holding at most rangeRows rows each (an ip with more rows gets one to itself).
  const reader = await conn.runAndReadAll(`
    SELECT max(ip) AS hi FROM (
      SELECT ip, sum(n) OVER (ORDER BY ip ROWS UNBOUNDED PRECEDING) AS upto
      FROM (SELECT ip, count(*) AS n FROM (${source.fromSql}) GROUP BY ip))
    GROUP BY (upto - 1) // ${Math.max(1, Math.trunc(rangeRows))} ORDER BY hi`);
  const bounds = reader.getRowObjectsJS().map((r) => String(r['hi']));
  if (bounds.length <= 1) {
    await copyToParquet(conn, `SELECT ${source.project} FROM (${source.fromSql}) ORDER BY ${source.orderBy}`, path);
    return;
  }
  const parts: string[] = [];
  try {
    let lo: string | null = null;
    for (const [i, hi] of bounds.entries()) {
      const part = join(scratchDir, `.range-${String(i).padStart(6, '0')}.parquet`);
      parts.push(part);
      const where = `${lo === null ? '' : `ip > ${literal(lo)} AND `}ip <= ${literal(hi)}`;
      await copyToParquet(
        conn,
        `SELECT ${source.project} FROM (${source.fromSql}) WHERE ${where} ORDER BY ${source.orderBy}`,
        part,
      );
      lo = hi;
    }
    await copyToParquet(conn, `SELECT * FROM read_parquet([${parts.map(literal).join(', ')}])`, path);
  } finally {
    await Promise.all(parts.map((p) => rm(p, { force: true })));
  }
}
