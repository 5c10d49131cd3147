import type { IngestCounts } from '../coordinator/target-ingest.ts';

/** Everything the live display and the periodic log lines show, at one instant. */
export interface ProgressSnapshot {
  readonly runId: string;
  readonly phase: 'reading targets' | 'collecting' | 'building version' | 'done' | 'stopping';
  readonly ingest: IngestCounts;
  readonly hosts: number;
  readonly batches: number;
  readonly enqueued: number;
  readonly joined: number;
  readonly probing: number;
  readonly labelling: number;
  readonly probed: number;
  readonly responsive: number;
  readonly labelled: number;
  readonly written: number;
  readonly elapsedMs: number;
}

/** Probes per second since the start of collecting, and the time left at that pace. */
export function rateAndEta(s: ProgressSnapshot, collectStartedMs: number, nowMs: number): { probesPerSec: number; etaMs: number | null } {
  const seconds = Math.max(0.001, (nowMs - collectStartedMs) / 1000);
  const probesPerSec = s.probed / seconds;
  if (s.batches === 0 || s.joined === 0) return { probesPerSec, etaMs: null };
  const perBatchMs = (nowMs - collectStartedMs) / s.joined;
  return { probesPerSec, etaMs: Math.round(perBatchMs * (s.batches - s.joined)) };
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
export function formatProgress(s: ProgressSnapshot, rate: { probesPerSec: number; etaMs: number | null }): string {
  const i = s.ingest;
  return [
    `osfp collect ${s.runId} — ${s.phase}, ${formatDuration(s.elapsedMs)}`,
    `  targets   read ${n(i.lines)} lines · names ${n(i.names)} · resolved ${n(i.resolved)} · unresolved ${n(i.unresolved)} · excluded ${n(i.excluded)} · malformed ${n(i.malformed)}`,
    `  batches   ${n(s.joined)}/${n(s.batches)} written · ${n(s.enqueued - s.joined)} in flight (probing ${n(s.probing)}, labelling ${n(s.labelling)})`,
    `  hosts     ${n(s.hosts)} addresses · probed ${n(s.probed)} · responsive ${n(s.responsive)} · labelled ${n(s.labelled)} · rows written ${n(s.written)}`,
    `  rate      ${n(Math.round(rate.probesPerSec))} probes/s · ETA ${formatDuration(rate.etaMs)}`,
  ].join('\n');
}
