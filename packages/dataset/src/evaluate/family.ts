/**
 * The OS family of a class name, for comparisons coarser than the taxonomy's
 * classes (p0f's `Linux 3.x` vs Nmap's `Linux 4.X` agree on `linux`).
 */
const FAMILY_ALIASES: Readonly<Record<string, string>> = { mac: 'macos' };

/** First word, lower case (`Linux (Other)` -> `linux`); p0f's `Mac OS X` and the taxonomy's `macOS` are both `macos`. */
export function familyOfClass(name: string): string {
  const first = (name.trim().split(/\s+/)[0] ?? '').toLowerCase();
  return FAMILY_ALIASES[first] ?? first;
}
