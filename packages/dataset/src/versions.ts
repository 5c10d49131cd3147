/** Finding versions on disk and reading their manifests: what ls, show and the other commands start from. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetInputError } from './errors.ts';
import { MANIFEST_FILE, datasetsDir, versionDir } from './layout.ts';
import { readManifest, type VersionManifest } from './manifest.ts';
import { formatVersionRef, parseVersionRef, type VersionRef } from './version-ref.ts';
import { versionNumbers } from './version-writer.ts';

export interface ResolvedVersion {
  readonly name: string;
  readonly version: number;
  readonly dir: string;
  readonly manifest: VersionManifest;
}

export interface DatasetSummary {
  readonly name: string;
  readonly versions: readonly { version: number; rows: number; createdAt: string; contentSha256: string }[];
}

export async function datasetNames(dataDir: string): Promise<string[]> {
  try {
    const entries = await readdir(datasetsDir(dataDir), { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') throw new DatasetInputError(`data directory ${dataDir} is not a directory`);
    throw error;
  }
}

export async function listDatasets(dataDir: string): Promise<DatasetSummary[]> {
  const out: DatasetSummary[] = [];
  for (const name of await datasetNames(dataDir)) {
    const versions = [];
    for (const version of await versionNumbers(dataDir, name)) {
      const m = await readManifest(
        join(versionDir(dataDir, name, version), MANIFEST_FILE),
        formatVersionRef(name, version),
      );
      versions.push({ version, rows: m.rows, createdAt: m.createdAt, contentSha256: m.contentSha256 });
    }
    out.push({ name, versions });
  }
  return out;
}

/** Resolves NAME[@V] to an existing version, or throws naming what is missing and what exists. */
export async function resolveVersion(dataDir: string, ref: string | VersionRef): Promise<ResolvedVersion> {
  const { name, version } = typeof ref === 'string' ? parseVersionRef(ref) : ref;
  const versions = await versionNumbers(dataDir, name);
  if (versions.length === 0) {
    const known = await datasetNames(dataDir);
    throw new DatasetInputError(
      `unknown dataset "${name}" in ${datasetsDir(dataDir)}; known datasets: ${known.join(', ') || '(none)'}`,
    );
  }
  const chosen = version === 'latest' ? (versions.at(-1) as number) : version;
  if (!versions.includes(chosen)) {
    throw new DatasetInputError(`dataset "${name}" has no version ${chosen}; its versions: ${versions.join(', ')}`);
  }
  const dir = versionDir(dataDir, name, chosen);
  const manifest = await readManifest(join(dir, MANIFEST_FILE), formatVersionRef(name, chosen));
  if (manifest.dataset !== name || manifest.version !== chosen) {
    throw new DatasetInputError(
      `${formatVersionRef(name, chosen)}: its manifest says it is ${formatVersionRef(manifest.dataset, manifest.version)} (copied or moved by hand?)`,
    );
  }
  return { name, version: chosen, dir, manifest };
}

export async function showVersion(dataDir: string, ref: string | VersionRef): Promise<VersionManifest> {
  return (await resolveVersion(dataDir, ref)).manifest;
}
