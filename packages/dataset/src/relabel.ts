/**
 * A new version re-derived from a stored version's `nmap_guesses` under a new
 * taxonomy: no rescanning. The label function comes from the caller (the CLI
 * wires @osfp/labeler's `relabel`), so this package does not depend on the labeler.
 */
import { join } from 'node:path';
import { openScratch, readParquetSql, readingFile } from './duckdb-files.ts';
import { DatasetInputError, messageOf } from './errors.ts';
import { DATA_PARQUET } from './layout.ts';
import type { VersionManifest } from './manifest.ts';
import { appendValue } from './row-appender.ts';
import { COLUMNS, LABEL_QUALITY_COLUMNS, type LabelFields } from './schema.ts';
import { ident } from './sql.ts';
import { formatVersionRef, type VersionRef } from './version-ref.ts';
import { writeVersion, type ExportFormat } from './version-writer.ts';
import { resolveVersion } from './versions.ts';

/** Label columns from one stored nmap_guesses JSON value. */
export type RelabelFn = (nmapGuessesJson: string) => LabelFields;

export interface RelabelOptions {
  /** Recorded as the new version's provenance.taxonomyVersion. */
  taxonomyVersion: string;
  formats?: ExportFormat[];
}

// Recomputed from the guesses; nmap_guesses itself stays byte-for-byte as stored, and so do the
// columns that record how the scan went (they are facts of the scan, not of the guesses).
const KEPT = new Set<string>(['nmap_guesses', ...LABEL_QUALITY_COLUMNS]);
const DERIVED = COLUMNS.filter((c) => c.group === 'label' && !KEPT.has(c.name));

export async function relabelVersion(
  dataDir: string,
  ref: string | VersionRef,
  relabelFn: RelabelFn,
  opts: RelabelOptions,
): Promise<VersionManifest> {
  const source = await resolveVersion(dataDir, ref);
  const what = formatVersionRef(source.name, source.version);
  const columns = source.manifest.schema.columns;
  for (const needed of ['nmap_guesses', ...DERIVED.map((c) => c.name)]) {
    if (!columns.some((c) => c.name === needed))
      throw new DatasetInputError(`${what} has no ${needed} column: nothing to relabel from`);
  }
  const scratch = await openScratch();
  try {
    const conn = scratch.conn;
    const parquet = join(source.dir, DATA_PARQUET);
    await readingFile(what, parquet, () =>
      conn.run(`CREATE TEMP TABLE src AS SELECT * FROM ${readParquetSql(parquet)}`),
    );
    const distinct = (await conn.runAndReadAll(`SELECT DISTINCT nmap_guesses FROM src WHERE nmap_guesses IS NOT NULL`))
      .getRowObjectsJS()
      .map((r) => String(r['nmap_guesses']));
    await conn.run(
      `CREATE TEMP TABLE relabelled (nmap_guesses VARCHAR PRIMARY KEY, ${DERIVED.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`,
    );
    const appender = await conn.createAppender('relabelled', 'main', 'temp');
    try {
      for (const guesses of distinct) {
        let fields: LabelFields;
        try {
          fields = relabelFn(guesses);
        } catch (error) {
          throw new DatasetInputError(
            `${what}: cannot relabel nmap_guesses ${guesses.slice(0, 120)}: ${messageOf(error)}`,
            { cause: error },
          );
        }
        appender.appendVarchar(guesses);
        const values = fields as unknown as Record<string, unknown>;
        for (const c of DERIVED) appendValue(appender, c, values[c.name]);
        appender.endRow();
      }
    } finally {
      appender.closeSync();
    }
    const derived = new Set<string>(DERIVED.map((c) => c.name));
    const projection = columns
      .map((c) => {
        const q = ident(c.name);
        // Rows without guesses (failed, timeout, skipped) have nothing to relabel: kept as they were. So are
        // firewalled rows that still give no class: the scan's facts, not the guesses, made them firewalled.
        return derived.has(c.name)
          ? `CASE WHEN r.nmap_guesses IS NULL OR (s.label_status = 'firewalled' AND r.label_status <> 'ok') THEN s.${q} ELSE r.${q} END AS ${q}`
          : `s.${q}`;
      })
      .join(', ');
    return await writeVersion(
      dataDir,
      source.name,
      {
        connection: conn,
        selectSql: `SELECT ${projection} FROM src s LEFT JOIN relabelled r ON r.nmap_guesses = s.nmap_guesses
                    ORDER BY s.ip, s.port, s.run_id, s.probed_at, s.p0f_sig, s.label, s.nmap_guesses`,
        columns,
      },
      {
        runs: source.manifest.runs,
        counts: source.manifest.counts,
        provenance: { ...source.manifest.provenance, taxonomyVersion: opts.taxonomyVersion },
        derivedFrom: {
          dataset: source.name,
          version: source.version,
          operation: 'relabel',
          detail: {
            taxonomyVersion: opts.taxonomyVersion,
            previousTaxonomyVersion: source.manifest.provenance.taxonomyVersion,
          },
        },
        parent: source.version,
        formats: opts.formats ?? [],
      },
    );
  } finally {
    scratch.close();
  }
}
