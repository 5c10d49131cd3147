/**
 * Proves a version is unchanged: re-hashes every file listed in the manifest,
 * recomputes the content hash from the Parquet file, and flags files that are
 * missing, extra or writable.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openScratch, readingFile } from './duckdb-files.ts';
import { sha256File } from './file-hash.ts';
import { DATA_PARQUET, MANIFEST_FILE } from './layout.ts';
import { contentHash } from './version-writer.ts';
import { resolveVersion } from './versions.ts';
import { formatVersionRef, type VersionRef } from './version-ref.ts';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { EVALUATION_DIR } from './evaluate/report-files.ts';

export interface VerifyResult {
  readonly ref: string;
  readonly ok: boolean;
  readonly files: readonly { name: string; expected: string; actual: string | null; ok: boolean }[];
  readonly contentSha256: { expected: string; actual: string | null; ok: boolean };
  readonly problems: readonly string[];
}

export async function verifyVersion(dataDir: string, ref: string | VersionRef): Promise<VerifyResult> {
  const v = await resolveVersion(dataDir, ref);
  const what = formatVersionRef(v.name, v.version);
  const problems: string[] = [];
  const files = [];
  for (const [name, entry] of Object.entries(v.manifest.files)) {
    const path = join(v.dir, name);
    const actual = await sha256File(path).catch(() => null);
    const ok = actual === entry.sha256;
    if (actual === null) problems.push(`${name} is missing`);
    else if (!ok) problems.push(`${name} changed: sha256 ${actual}, manifest says ${entry.sha256}`);
    files.push({ name, expected: entry.sha256, actual, ok });
    const info = await stat(path).catch(() => null);
    if (info && (info.mode & 0o222) !== 0) problems.push(`${name} is writable (versions are read-only)`);
  }
  const listed = new Set([...Object.keys(v.manifest.files), MANIFEST_FILE]);
  for (const entry of await readdir(v.dir)) {
    // `osfp dataset evaluate` keeps its report beside the version: an add-on, not part of the version.
    if (entry === EVALUATION_DIR) continue;
    if (!listed.has(entry)) problems.push(`${entry} is not part of the version (added after it was built)`);
  }
  let actualContent: string | null = null;
  if (files.find((f) => f.name === DATA_PARQUET)?.actual) {
    const scratch = await openScratch();
    try {
      const parquet = join(v.dir, DATA_PARQUET);
      const csv = join(tmpdir(), `osfp-verify-${process.pid}-${randomBytes(4).toString('hex')}.csv`);
      actualContent = await readingFile(what, parquet, () =>
        contentHash(scratch.conn, parquet, v.manifest.schema.columns, csv),
      );
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    } finally {
      scratch.close();
    }
  } else if (!(DATA_PARQUET in v.manifest.files)) {
    problems.push(`the manifest lists no ${DATA_PARQUET}`);
  }
  const contentOk = actualContent === v.manifest.contentSha256;
  if (actualContent !== null && !contentOk) {
    problems.push(`content hash ${actualContent} differs from the manifest's ${v.manifest.contentSha256}`);
  }
  return {
    ref: what,
    ok: problems.length === 0,
    files,
    contentSha256: { expected: v.manifest.contentSha256, actual: actualContent, ok: contentOk },
    problems,
  };
}
