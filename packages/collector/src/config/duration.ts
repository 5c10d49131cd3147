const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** What --help says about every duration option. */
export const DURATION_HELP = 'a number with a unit: 500ms, 5s, 10m, 12h, 30d; a bare number is seconds, as in Nmap';

/**
 * Parses a duration such as `500ms`, `5s`, `10m`, `12h`, `30d`. A number
 * without a unit is **seconds**, as in Nmap (`--timeout 5` is five seconds,
 * never five milliseconds), whether typed, in the environment or a JSON
 * config file. Returns milliseconds, or null when the text is not a duration.
 */
export function parseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.round(text * 1000) : null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
  if (!match) return null;
  return Math.round(Number(match[1]) * UNITS[(match[2] ?? 's').toLowerCase()]!);
}

/** A duration for people: 1500 -> "1.5s", 600000 -> "10m". */
export function formatDurationMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % (size / 10) === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
