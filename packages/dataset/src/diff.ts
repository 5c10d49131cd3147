/**
 * Compares two versions row by row, keyed by (ip, port): rows added, removed,
 * relabelled (same key, different label) and the class histogram change.
 * When a version holds several rows for one key (several runs), the newest
 * (probed_at) stands for it.
 */
import { join } from 'node:path';
import { openScratch, readParquetSql, readingFile } from './duckdb-files.ts';
import { DATA_PARQUET } from './layout.ts';
import { formatVersionRef, type VersionRef } from './version-ref.ts';
import { resolveVersion } from './versions.ts';

export interface VersionDiff {
  readonly a: { ref: string; rows: number };
  readonly b: { ref: string; rows: number };
  readonly added: number;
  readonly removed: number;
  readonly relabelled: number;
  readonly unchanged: number;
  /** Up to `sampleSize` relabelled rows, ordered by ip and port. */
  readonly relabelledSample: readonly { ip: string; port: number; from: string | null; to: string | null }[];
  /** Every class present in either version: count in A, in B, and B - A. */
  readonly histogram: readonly { label: string | null; a: number; b: number; delta: number }[];
}

export async function diffVersions(
  dataDir: string,
  refA: string | VersionRef,
  refB: string | VersionRef,
  opts: { sampleSize?: number } = {},
): Promise<VersionDiff> {
  const a = await resolveVersion(dataDir, refA);
  const b = await resolveVersion(dataDir, refB);
  const scratch = await openScratch();
  try {
    const conn = scratch.conn;
    const load = async (table: string, dir: string, what: string) => {
      const path = join(dir, DATA_PARQUET);
      await readingFile(what, path, () =>
        conn.run(
          `CREATE TEMP TABLE ${table} AS SELECT ip, port, label FROM ${readParquetSql(path)}
           QUALIFY row_number() OVER (PARTITION BY ip, port ORDER BY probed_at DESC, run_id DESC) = 1`,
        ),
      );
    };
    await load('va', a.dir, formatVersionRef(a.name, a.version));
    await load('vb', b.dir, formatVersionRef(b.name, b.version));
    const counts =
      (
        await conn.runAndReadAll(`SELECT
        count(*) FILTER (WHERE va.ip IS NULL)::INTEGER AS added,
        count(*) FILTER (WHERE vb.ip IS NULL)::INTEGER AS removed,
        count(*) FILTER (WHERE va.ip IS NOT NULL AND vb.ip IS NOT NULL AND va.label IS DISTINCT FROM vb.label)::INTEGER AS relabelled,
        count(*) FILTER (WHERE va.ip IS NOT NULL AND vb.ip IS NOT NULL AND va.label IS NOT DISTINCT FROM vb.label)::INTEGER AS unchanged
        FROM va FULL OUTER JOIN vb ON va.ip = vb.ip AND va.port = vb.port`)
      ).getRowObjectsJS()[0] ?? {};
    const sample = (
      await conn.runAndReadAll(
        `SELECT va.ip, va.port, va.label AS "from", vb.label AS "to" FROM va JOIN vb ON va.ip = vb.ip AND va.port = vb.port
         WHERE va.label IS DISTINCT FROM vb.label ORDER BY va.ip, va.port LIMIT ${Math.max(0, Math.trunc(opts.sampleSize ?? 20))}`,
      )
    )
      .getRowObjectsJS()
      .map((r) => ({
        ip: String(r['ip']),
        port: Number(r['port']),
        from: r['from'] === null ? null : String(r['from']),
        to: r['to'] === null ? null : String(r['to']),
      }));
    const histogram = new Map<string | null, { a: number; b: number }>();
    for (const h of a.manifest.classHistogram) histogram.set(h.label, { a: h.count, b: 0 });
    for (const h of b.manifest.classHistogram)
      histogram.set(h.label, { a: histogram.get(h.label)?.a ?? 0, b: h.count });
    return {
      a: { ref: formatVersionRef(a.name, a.version), rows: a.manifest.rows },
      b: { ref: formatVersionRef(b.name, b.version), rows: b.manifest.rows },
      added: Number(counts['added'] ?? 0),
      removed: Number(counts['removed'] ?? 0),
      relabelled: Number(counts['relabelled'] ?? 0),
      unchanged: Number(counts['unchanged'] ?? 0),
      relabelledSample: sample,
      histogram: [...histogram.entries()]
        .map(([label, c]) => ({ label, a: c.a, b: c.b, delta: c.b - c.a }))
        .sort(
          (x, y) => Math.abs(y.delta) - Math.abs(x.delta) || (x.label ?? '\uffff').localeCompare(y.label ?? '\uffff'),
        ),
    };
  } finally {
    scratch.close();
  }
}
