import type { IngestCounts } from './target-ingest.ts';

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

/** What shows a run's progress (a live panel, log lines): started with a way to take a snapshot, stopped at the end. */
export interface ProgressReporter {
  start(snapshot: () => ProgressSnapshot): void;
  stop(): void;
}
