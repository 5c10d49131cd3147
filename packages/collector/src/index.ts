// The coordinator: one collection run, start to finish, and what it reports.
export { collectRun, CollectInputError, type CollectDeps } from './coordinator/collect-run.ts';
export { formatRunSummary, summarizeRun, type RunSummary } from './coordinator/run-summary.ts';
export type { BatchOutcome } from './coordinator/row-join.ts';
export type { ProgressSnapshot, ProgressReporter, StageProgress } from './coordinator/run-progress.ts';
export { STAGE_NAMES, type Eta, type StageName } from './coordinator/stage-rates.ts';
export { publishedRunIds, readPublishedProgress, type PublishedProgress } from './coordinator/progress-publisher.ts';
export { parseStageRecords, type BatchStageRecord } from './queue/stage-records.ts';
export { joinQueueName, QUEUES, runKeys } from './queue/queue-names.ts';

// Options of a run and of a worker, validated once.
export {
  COLLECT_DEFAULTS,
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
export { DURATION_HELP, formatDurationMs, parseDuration } from './config/duration.ts';
export { checkCollectInputs } from './config/input-files.ts';
export { loadRunRecordFile, loadRunSummary, resumedOptions, runDir, runIds, type RunRecord } from './run/run-record.ts';

// Workers and the stage bodies they run.
export {
  startWorkerNode,
  lockSettings,
  MIN_LABEL_BATCHES,
  type WorkerNode,
  type WorkerNodeOptions,
} from './worker/worker-node.ts';
export { realStageBodies } from './worker/real-stage-bodies.ts';
export { availableLabelSources, resolveLabelSources } from './worker/label-sources.ts';
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
export { captureBlockMsFromEnv, DEFAULT_CAPTURE_BLOCK_MS } from './sniffer/sniffer.ts';

// Redis.
export { connectRedis, isRedisUrl, redactRedisUrl, redisUsedMemory } from './redis/redis-connection.ts';
export { findEmbeddedRedis, startEmbeddedRedis, type EmbeddedRedis } from './redis/embedded-redis.ts';
