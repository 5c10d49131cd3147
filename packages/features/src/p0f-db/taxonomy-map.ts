/**
 * How a p0f label (`Linux 3.x`, `Windows 7 or 8`, ...) lines up with the
 * dataset's Nmap-derived classes (@osfp/labeler's DEFAULT_TAXONOMY: `Linux
 * 3.X`, `Windows 2012`, `FreeBSD 9.X`, `macOS 10.X`, ...).
 *
 * The mapping is as close as is honest, never closer: a p0f label that spans
 * several classes accepts each of them, and one the taxonomy has no class for
 * accepts none (it can then only agree at family level). In particular p0f's
 * `Linux 3.x` is the 10-segment initial window that every kernel since 2.6.39
 * also sends, but p0f *says* 3.x, so only `Linux 3.X` counts as agreement; the
 * family figure shows how much that costs.
 */
import { familyOfClass } from '@osfp/dataset';
import type { P0fLabel } from './database.ts';

export interface TaxonomyMapping {
  /** Dataset classes this p0f label agrees with. */
  readonly classes: readonly string[];
  /** Family key, comparable with familyOfClass() of a dataset label. */
  readonly family: string;
}

/** Labels whose classes are not simply "NAME FLAVOR" with `x` written `X`. */
const SPECIAL: Readonly<Record<string, readonly string[]>> = {
  // The seed's taxonomy keeps only 2.6.X to 5.X apart; older kernels are "Other".
  'Linux 2.4.x': ['Linux (Other)'],
  'Linux 2.4-2.6': ['Linux (Other)', 'Linux 2.6.X'],
  // Server editions share the desktop kernel: XP is NT 5.1 (2003 is NT 5.2, same stack);
  // 7 / 8 are NT 6.1 / 6.2, as are Server 2008 R2 / 2012 (Nmap's osgen 2008 / 2012).
  'Windows XP': ['Windows XP', 'Windows 2003'],
  'Windows 7 or 8': ['Windows 7', 'Windows 8', 'Windows 2008', 'Windows 2012'],
  'FreeBSD 8.x-9.x': ['FreeBSD 8.X', 'FreeBSD 9.X'],
  // The labeler names every Apple release "macOS {osgen}".
  'Mac OS X 10.x': ['macOS 10.X'],
};

export function mapP0fLabel(label: P0fLabel): TaxonomyMapping {
  const family = familyOfClass(label.name);
  const special = SPECIAL[label.text];
  if (special) return { classes: special, family };
  const flavor = label.flavor.replace(/x\b/g, 'X');
  return { classes: [flavor === '' ? label.name : `${label.name} ${flavor}`], family };
}
