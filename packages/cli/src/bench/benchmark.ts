/**
 * A benchmark measures osfp and its reference point in the same run, on the
 * same lab targets, and reports both with their ratio: these machines are
 * noisy, ratios hold where absolute times do not.
 */
export interface BenchFigure {
  /** osfp's figure. */
  readonly value: number;
  /** The reference point's figure, measured in the same run. */
  readonly reference: number;
  /** value / reference (or the inverse for lower-is-better units, see `better`). */
  readonly ratio: number;
  readonly unit: string;
  /** Whether a higher value is better; decides how the ratio reads. */
  readonly better?: 'higher' | 'lower';
  /** The goal the ratio (or the value) must meet, for the printed verdict. */
  readonly goal?: string;
  /** Whether the goal is met. */
  readonly met?: boolean;
  readonly note?: string;
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  /** Returns one or more named figures (e.g. `probe-rate` and `capture-completeness`). */
  run(signal: AbortSignal): Promise<Record<string, BenchFigure>>;
}

/** Ratio helper: how many times better osfp is than the reference. */
export function ratioOf(value: number, reference: number, better: 'higher' | 'lower' = 'higher'): number {
  if (reference === 0 || value === 0) return 0;
  return better === 'higher' ? value / reference : reference / value;
}
