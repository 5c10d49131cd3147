import { DatasetInputError } from './errors.ts';
import { checkPathName } from './path-name.ts';

/** A dataset version as the user names it: NAME, NAME@3, NAME@v3 or NAME@latest. */
export interface VersionRef {
  readonly name: string;
  readonly version: number | 'latest';
}

/** Throws a DatasetInputError naming the input when `name` cannot be a dataset name (it becomes a directory). */
export function validateDatasetName(name: string): string {
  return checkPathName('dataset name', name);
}

/** Throws a DatasetInputError naming the input when `runId` cannot be a run id (it becomes a directory). */
export function validateRunId(runId: string): string {
  return checkPathName('run id', runId);
}

export function parseVersionRef(s: string): VersionRef {
  const at = s.lastIndexOf('@');
  const name = at === -1 ? s : s.slice(0, at);
  const version = at === -1 ? 'latest' : s.slice(at + 1);
  validateDatasetName(name);
  if (version === 'latest') return { name, version };
  const m = /^v?([1-9][0-9]{0,8})$/.exec(version);
  if (!m?.[1]) {
    throw new DatasetInputError(
      `"${s}" is not a valid version reference: use NAME, NAME@N or NAME@latest, where N is a version number (1, 2, ...)`,
    );
  }
  return { name, version: Number(m[1]) };
}

export function formatVersionRef(name: string, version: number): string {
  return `${name}@${version}`;
}
