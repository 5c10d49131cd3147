import type { Eta, StageDone, StageName, StageRate } from './stage-rates.ts';
import type { IngestCounts } from './target-ingest.ts';

/** One stage as progress shows it: how far it is and how fast it goes. */
export type StageProgress = StageDone & StageRate;

/**
 * Everything the live display, the periodic log lines and the dashboard
 * show, at one instant. Counts move as each stage finishes a batch (probe:
 * probed and responsive; label: labelled; write: written), across every
 * session of the run; rates are this session's.
 */
export interface ProgressSnapshot {
  readonly runId: string;
  readonly dataset: string;
  readonly phase: 'reading targets' | 'collecting' | 'building version' | 'done' | 'stopping';
  readonly ingest: IngestCounts;
  readonly hosts: number;
  readonly batches: number;
  readonly enqueued: number;
  readonly joined: number;
  /** Probe and label jobs waiting or running, sampled from Redis. */
  readonly probing: number;
  readonly labelling: number;
  readonly probed: number;
  readonly responsive: number;
  readonly labelled: number;
  readonly written: number;
  readonly stages: Readonly<Record<StageName, StageProgress>>;
  readonly eta: Eta;
  readonly elapsedMs: number;
  /** Epoch ms when the snapshot was taken. */
  readonly at: number;
}

/** What shows a run's progress (a live panel, log lines): started with a way to take a snapshot, stopped at the end. */
export interface ProgressReporter {
  start(snapshot: () => ProgressSnapshot): void;
  stop(): void;
}
