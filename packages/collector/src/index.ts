// The coordinator: one collection run, start to finish, and what it reports.
export { collectRun, CollectInputError, type CollectDeps } from './coordinator/collect-run.ts';
export { formatRunSummary, summarizeRun, type RunSummary } from './coordinator/run-summary.ts';
export type { BatchOutcome } from './coordinator/row-join.ts';
export type { ProgressSnapshot, ProgressReporter } from './coordinator/run-progress.ts';

// Options of a run and of a worker, validated once.
export {
  COLLECT_OPTION_KEYS,
  CollectOptionsSchema,
  datasetNameFor,
  userAgentFor,
  type CollectOptions,
  type LabelPolicy,
} from './config/collect-options.ts';
export {
  WORKER_OPTION_KEYS,
  WORKER_ROLES,
  WorkerOptionsSchema,
  type WorkerOptions,
  type WorkerRole,
} from './config/worker-options.ts';
export { parseDuration } from './config/duration.ts';
export { resumedOptions, type RunRecord } from './run/run-record.ts';

// Workers and the stage bodies they run.
export { startWorkerNode, lockSettings, type WorkerNode, type WorkerNodeOptions } from './worker/worker-node.ts';
export { realStageBodies } from './worker/real-stage-bodies.ts';
export type { StageBodies, LabelHostsOptions } from './worker/stage-bodies.ts';

// The probe and its SYN-ACK capture.
export { createProber } from './probe/prober.ts';
export type { Prober, ProberOptions, ProbeOutcome, ProbeTarget } from './probe/probe-types.ts';
export {
  runHttpExchange,
  type ExchangeOptions,
  type ExchangeResult,
  type ExchangeTarget,
} from './probe/http-exchange.ts';
export type { CaptureStats, CaptureMethod } from './sniffer/sniffer.ts';

// Redis.
export { connectRedis, redactRedisUrl, redisUsedMemory } from './redis/redis-connection.ts';
export { startEmbeddedRedis, type EmbeddedRedis } from './redis/embedded-redis.ts';
