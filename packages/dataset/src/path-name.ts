import { DatasetInputError } from './errors.ts';

/**
 * Names that become directory or file names (dataset names, run ids): one
 * rule everywhere, checked before anything is written. A portable, unambiguous
 * alphabet; no leading dot or dash (hidden files, options) and no "..".
 */
const PATH_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export const PATH_NAME_RULE = "1-100 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'";

export type PathNameKind = 'dataset name' | 'run id';

export function isPathName(value: string): boolean {
  return PATH_NAME.test(value) && !value.includes('..');
}

/** Returns `value`, or throws a DatasetInputError naming it when it cannot be a path segment. */
export function checkPathName(kind: PathNameKind, value: string): string {
  if (!isPathName(value)) throw new DatasetInputError(`"${value}" is not a valid ${kind}: use ${PATH_NAME_RULE}`);
  return value;
}
