import type { ProgressSnapshot } from '@osfp/collector';

/** Where this session's collecting started: its counts then (a resumed run starts from its earlier sessions' counts). */
export interface RateBaseline {
  readonly atMs: number;
  readonly probed: number;
  readonly joined: number;
}

/** Below this, a rate is noise (one batch in a few milliseconds reads as millions per second). */
const MIN_RATE_WINDOW_MS = 1000;

/** Probes per second in this session, and the time left at this session's pace; null while there is too little to tell. */
export function rateAndEta(
  s: ProgressSnapshot,
  base: RateBaseline,
  nowMs: number,
): { probesPerSec: number | null; etaMs: number | null } {
  const elapsedMs = nowMs - base.atMs;
  if (elapsedMs < MIN_RATE_WINDOW_MS) return { probesPerSec: null, etaMs: null };
  const probesPerSec = (s.probed - base.probed) / (elapsedMs / 1000);
  const joinedNow = s.joined - base.joined;
  if (s.batches === 0 || joinedNow <= 0) return { probesPerSec, etaMs: null };
  return { probesPerSec, etaMs: Math.round((elapsedMs / joinedNow) * (s.batches - s.joined)) };
}

const n = (v: number) => v.toLocaleString('en-US');

export function formatDuration(ms: number | null): string {
  if (ms === null) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The multi-line display for a terminal. */
export function formatProgress(
  s: ProgressSnapshot,
  rate: { probesPerSec: number | null; etaMs: number | null },
): string {
  const i = s.ingest;
  return [
    `osfp collect ${s.runId} — ${s.phase}, ${formatDuration(s.elapsedMs)}`,
    `  targets   read ${n(i.lines)} lines · names ${n(i.names)} · resolved ${n(i.resolved)} · unresolved ${n(i.unresolved)} · excluded ${n(i.excluded)} · malformed ${n(i.malformed)}`,
    `  batches   ${n(s.joined)}/${n(s.batches)} written · ${n(s.enqueued - s.joined)} in flight (probing ${n(s.probing)}, labelling ${n(s.labelling)})`,
    `  hosts     ${n(s.hosts)} addresses · probed ${n(s.probed)} · responsive ${n(s.responsive)} · labelled ${n(s.labelled)} · rows written ${n(s.written)}`,
    `  rate      ${rate.probesPerSec === null ? '?' : n(Math.round(rate.probesPerSec))} probes/s · ETA ${formatDuration(rate.etaMs)}`,
  ].join('\n');
}
