import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { writeSortedParquet } from '../src/sorted-parquet.ts';
import { withDataDir } from '../testing/index.ts';

describe('writeSortedParquet', () => {
  it('writes, a range of ips at a time, exactly the rows and order of one ORDER BY', () =>
    withDataDir(async (dir) => {
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      try {
        // Ips that sort differently as text and as numbers, several rows per ip, ties broken by the later keys.
        await conn.run(`CREATE TABLE t AS SELECT '198.18.' || (i % 7) || '.' || (i % 13) AS ip, (i % 3) * 80 AS port,
          'r' || (i % 2) AS run_id, i AS n, ['a' || i, 'b'] AS domains FROM range(500) r(i)`);
        const source = {
          fromSql: 'SELECT * FROM t',
          project: 'ip, port, run_id, domains',
          orderBy: 'ip, port, run_id, n',
        };
        const one = join(dir, 'one.parquet');
        const ranged = join(dir, 'ranged.parquet');
        await writeSortedParquet(conn, source, one, dir, 1_000_000);
        await writeSortedParquet(conn, source, ranged, dir, 37);
        const read = async (path: string) =>
          (await conn.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)).getRowObjectsJS();
        const expected = await read(one);
        expect(expected).toHaveLength(500);
        expect(Object.keys(expected[0] ?? {})).toEqual(['ip', 'port', 'run_id', 'domains']);
        expect(await read(ranged)).toEqual(expected);
        const groups = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM (SELECT DISTINCT ip FROM t)`);
        expect(Number(groups.getRowObjectsJS()[0]?.['n'])).toBe(91);
      } finally {
        conn.closeSync();
        db.closeSync();
      }
    }));

  it('refuses an order that does not start with ip', () =>
    withDataDir(async (dir) => {
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      try {
        await expect(
          writeSortedParquet(
            conn,
            { fromSql: 'SELECT 1 AS ip', project: 'ip', orderBy: 'port, ip' },
            join(dir, 'x.parquet'),
            dir,
          ),
        ).rejects.toThrow(/must start with ip/);
      } finally {
        conn.closeSync();
        db.closeSync();
      }
    }));
});
