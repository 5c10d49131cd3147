/**
 * The stages of a batch. Probe and label queues are shared by every run on a
 * Redis (any worker takes any job: the run's settings travel with it); the
 * join queue is the run's own, because only that run's coordinator holds its
 * target index and store.
 */
export const QUEUES = { probe: 'osfp-probe', label: 'osfp-label' } as const;
export type Stage = 'probe' | 'label' | 'join';

export function joinQueueName(runId: string): string {
  return `osfp-join-${runId}`;
}

/**
 * Deterministic job ids: adding a batch twice (a resumed coordinator) is a
 * no-op in BullMQ, and anyone can find a batch's jobs. BullMQ allows ':' in a
 * custom id only as exactly three parts, which this format is.
 */
export function jobId(runId: string, batchNo: number, stage: Stage): string {
  return `${runId}:${batchNo}:${stage}`;
}

/** Redis keys of a run's own state (BullMQ keeps its own under `bull:`). */
export const runKeys = (runId: string) => ({
  options: `osfp:run:${runId}:options`,
  cursor: `osfp:run:${runId}:cursor`,
  rate: `osfp:run:${runId}:rate`,
  ingest: `osfp:run:${runId}:ingest`,
  /** Per-batch stage records of the batches in flight (stage-records.ts). */
  stages: `osfp:run:${runId}:stages`,
  /** The coordinator's latest progress snapshot (progress-publisher.ts). */
  progress: `osfp:run:${runId}:progress`,
});

/** The pattern matching every run's progress key, for whoever lists the runs on a Redis. */
export const RUN_PROGRESS_PATTERN = 'osfp:run:*:progress';
