/** The three stages a batch goes through, as progress shows them. */
export const STAGE_NAMES = ['probe', 'label', 'write'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** How far one stage is: batches it finished and its own count (probes, labels, rows). */
export interface StageDone {
  readonly batches: number;
  readonly count: number;
}

export interface StageRate {
  /** null until the stage has finished a batch in this session and a second has passed. */
  readonly batchesPerSec: number | null;
  /** The stage's own count per second: probes/s, labels/s, rows/s. */
  readonly countPerSec: number | null;
}

/** Time left at the slowest stage's pace; a lower bound while a stage with work left has no pace yet. */
export interface Eta {
  readonly ms: number | null;
  readonly stage: StageName | null;
  readonly lowerBound: boolean;
}

type StageValues = Readonly<Record<StageName, StageDone>>;

/** Rates average over at most this much recent history: long runs follow changes, short ones use everything. */
const WINDOW_MS = 5 * 60_000;
/** Below this, a rate is noise (one batch in a few milliseconds reads as millions per second). */
const MIN_SPAN_MS = 1000;

/**
 * Per-stage rates from the counts the coordinator sees, sampled as they come.
 * Only this session counts: a resumed run starts from the first sample, so
 * batches written by an earlier session do not inflate the rate.
 */
export class StageRateMeter {
  /** The counts when this session began collecting; null before. */
  private origin: StageValues | null = null;
  private samples: { t: number; values: StageValues }[] = [];

  /** Starts the session's sampling at these counts (once, when collecting starts). */
  start(t: number, values: StageValues): void {
    this.origin = values;
    this.samples = [{ t, values }];
  }

  get started(): boolean {
    return this.origin !== null;
  }

  observe(t: number, values: StageValues): void {
    if (this.origin === null) return;
    const last = this.samples.at(-1);
    if (last && t - last.t < MIN_SPAN_MS / 2) return;
    this.samples.push({ t, values });
    // Keep one sample at or before the window's start, so the span is the whole window.
    while (this.samples.length > 2 && this.samples[1]!.t <= t - WINDOW_MS) this.samples.shift();
  }

  rates(t: number, now: StageValues): Record<StageName, StageRate> {
    const first = this.samples[0];
    const out = {} as Record<StageName, StageRate>;
    for (const stage of STAGE_NAMES) {
      const span = first ? t - first.t : 0;
      const moved = this.origin ? now[stage].batches - this.origin[stage].batches : 0;
      if (!first || span < MIN_SPAN_MS || moved <= 0) {
        out[stage] = { batchesPerSec: null, countPerSec: null };
        continue;
      }
      out[stage] = {
        batchesPerSec: (now[stage].batches - first.values[stage].batches) / (span / 1000),
        countPerSec: (now[stage].count - first.values[stage].count) / (span / 1000),
      };
    }
    return out;
  }
}

/** ETA from the slowest stage: the largest time left over the stages that still have batches to do. */
export function etaFromStages(
  totalBatches: number,
  done: StageValues,
  rates: Readonly<Record<StageName, StageRate>>,
): Eta {
  let worst: { ms: number; stage: StageName } | null = null;
  let unknown = false;
  for (const stage of STAGE_NAMES) {
    const left = totalBatches - done[stage].batches;
    if (left <= 0) continue;
    const rate = rates[stage].batchesPerSec;
    if (rate === null || rate <= 0) {
      unknown = true;
      continue;
    }
    const ms = Math.round((left / rate) * 1000);
    if (worst === null || ms > worst.ms) worst = { ms, stage };
  }
  if (worst === null) return { ms: unknown ? null : 0, stage: null, lowerBound: false };
  return { ms: worst.ms, stage: worst.stage, lowerBound: unknown };
}
