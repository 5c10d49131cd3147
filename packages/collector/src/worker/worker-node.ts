import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { NmapSource } from '@osfp/labeler';
import type { WorkerRole } from '../config/worker-options.ts';
import type { LabelJobData, LabelJobResult, ProbeJobData, ProbeJobResult } from '../queue/job-payloads.ts';
import { QUEUES } from '../queue/queue-names.ts';
import { StageRecords } from '../queue/stage-records.ts';
import { CleanupStack } from '../lifecycle/cleanup-stack.ts';
import { connectRedis } from '../redis/redis-connection.ts';
import { LabelProcessor } from './label-processor.ts';
import { ProbeProcessor } from './probe-processor.ts';
import { ProbeRateLimit } from './probe-rate-limit.ts';
import type { StageBodies } from './stage-bodies.ts';

export interface WorkerNodeOptions {
  readonly redisUrl: string;
  readonly roles: readonly WorkerRole[];
  readonly stages: StageBodies;
  /** Batches one role works on at once. */
  readonly batches?: number;
  readonly concurrency?: number | undefined;
  readonly labelProcesses?: number | undefined;
  /** Local addresses for the Nmap processes to send from, one each (resolveLabelSources). */
  readonly labelSources?: readonly NmapSource[] | undefined;
  readonly logger: Logger;
}

/**
 * How long a job's lock lasts without renewal, and how often workers look for
 * jobs whose lock expired. A worker killed with -9 stops renewing; its batch
 * goes back to waiting within about lock + interval and another worker takes
 * it. Workers renew at half the lock, so a long Nmap batch keeps its lock.
 */
export function lockSettings(env: NodeJS.ProcessEnv = process.env): { lockDuration: number; stalledInterval: number } {
  const lockDuration = Number(env['OSFP_LOCK_MS'] ?? 30_000);
  const stalledInterval = Number(env['OSFP_STALLED_INTERVAL_MS'] ?? Math.max(1000, Math.round(lockDuration / 2)));
  return { lockDuration, stalledInterval };
}

export interface WorkerNode {
  /** Resolves once every role's worker is connected and taking jobs. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Label batches a worker works on at once, at least. One batch alone leaves
 * most of its Nmap processes idle while it waits for its slowest hosts and
 * then for its retry pass; the others fill them. They share the processes
 * (NmapSlots), so the machine runs no more Nmap than one batch would. Three,
 * not two: each batch is split for its share of the processes only (fuller
 * Nmap batches, LabelProcessor), so two batches of 256 hosts would be just
 * enough Nmap batches for the 16 processes, and processes would sit idle
 * whenever both batches wait for their slowest hosts.
 */
export const MIN_LABEL_BATCHES = 3;

/** Starts BullMQ workers for the given roles on the run's Redis. */
export function startWorkerNode(options: WorkerNodeOptions): WorkerNode {
  const { logger } = options;
  const cleanup = new CleanupStack((error) =>
    logger.warn({ err: (error as Error).message }, 'worker cleanup step failed'),
  );
  // BullMQ leaves connections it was given open: each is disconnected after the workers closed.
  const limiterRedis = connectRedis(options.redisUrl, 'rate');
  limiterRedis.on('error', (error) => logger.warn({ err: error.message }, 'redis (rate limiter) connection problem'));
  cleanup.defer(() => limiterRedis.disconnect());
  const recordsRedis = connectRedis(options.redisUrl, 'stage-records');
  recordsRedis.on('error', (error) => logger.warn({ err: error.message }, 'redis (stage records) connection problem'));
  cleanup.defer(() => recordsRedis.disconnect());
  const records = new StageRecords(recordsRedis);
  const probe = new ProbeProcessor(options.stages, new ProbeRateLimit(limiterRedis), records, options.concurrency);
  cleanup.defer(() => probe.close());
  const common = { concurrency: options.batches ?? 1, maxStalledCount: 3, ...lockSettings() };
  const labelBatches = Math.max(MIN_LABEL_BATCHES, common.concurrency);
  const label = new LabelProcessor(options.stages, records, {
    processesOverride: options.labelProcesses,
    sources: options.labelSources,
    batchesAtOnce: labelBatches,
  });
  const workers: Worker[] = [];
  let lastComplaint = 0;
  const connection = (name: string) => {
    const c = connectRedis(options.redisUrl, name);
    c.on('error', (error: Error) => {
      // ioredis retries for ever; say so now and then, not on every attempt.
      if (Date.now() - lastComplaint < 10_000) return;
      lastComplaint = Date.now();
      logger.warn({ err: error.message }, 'cannot reach redis (retrying)');
    });
    cleanup.defer(() => c.disconnect());
    return c;
  };

  if (options.roles.includes('probe')) {
    workers.push(
      new Worker<ProbeJobData, ProbeJobResult>(
        QUEUES.probe,
        (job: Job<ProbeJobData>, _token?: string, signal?: AbortSignal) => probe.process(job, signal),
        { ...common, connection: connection('probe-worker') },
      ),
    );
  }
  if (options.roles.includes('label')) {
    const sources = options.labelSources ?? [];
    logger.info(
      { labelSources: sources.map((s) => s.address) },
      sources.length > 0
        ? `label role: Nmap processes send from ${sources.length} source addresses, one each`
        : 'label role: Nmap processes send from the default address (no --label-sources)',
    );
    workers.push(
      new Worker<LabelJobData, LabelJobResult>(
        QUEUES.label,
        (job: Job<LabelJobData>, _token?: string, signal?: AbortSignal) => label.process(job, signal),
        {
          ...common,
          concurrency: labelBatches,
          connection: connection('label-worker'),
        },
      ),
    );
  }
  // A worker's close() lets its running batches finish (graceful), then stops taking jobs.
  cleanup.defer(() => Promise.all(workers.map((w) => w.close())));
  for (const worker of workers) {
    worker.on('active', (job) =>
      logger.info({ queue: worker.name, job: job.id, attempt: job.attemptsMade + 1 }, 'batch stage started'),
    );
    worker.on('completed', (job) => logger.info({ queue: worker.name, job: job.id }, 'batch stage done'));
    worker.on('failed', (job, error) =>
      logger.warn(
        { queue: worker.name, job: job?.id, attempt: job?.attemptsMade, err: error.message },
        'batch stage failed',
      ),
    );
    worker.on('error', (error) => logger.warn({ queue: worker.name, err: error.message }, 'worker problem (retrying)'));
  }

  return {
    async ready() {
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
    close: () => cleanup.run(),
  };
}
