import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { userAgentFor } from '../config/collect-options.ts';
import type { CleanupStack } from '../lifecycle/cleanup-stack.ts';
import type { ProbeTarget } from '../probe/probe-types.ts';
import { BatchFlow } from '../queue/batch-flow.ts';
import type { RunSettings } from '../queue/job-payloads.ts';
import { joinQueueName, jobId, QUEUES, runKeys } from '../queue/queue-names.ts';
import { StageRecords } from '../queue/stage-records.ts';
import { connectRedis, redisUsedMemory } from '../redis/redis-connection.ts';
import type { JoinStage } from './join-stage.ts';
import type { LabelPlan } from './label-plan.ts';
import type { RunState } from './run-state.ts';

/**
 * BullMQ's event streams (default 10,000 entries per queue) would keep every
 * completed job's return value, a batch of features each: Redis memory would
 * then follow the run's length. Nobody here reads the streams; keep them short.
 */
const SHORT_STREAMS = { events: { maxLen: 50 } };

/** The coordinator's producer side: adds batches as flows and watches the stage queues. */
export class BatchQueues {
  private readonly flow: BatchFlow;
  private readonly joinQueue: Queue;
  private readonly stageQueues: Queue[];
  private readonly settings: RunSettings;
  private readonly records: StageRecords;

  constructor(
    private readonly state: RunState,
    private readonly plan: LabelPlan,
    cleanup: CleanupStack,
  ) {
    // BullMQ never closes a connection it was given: each is disconnected after its user closed.
    const connection = (name: string): Redis => {
      const c = connectRedis(state.redisUrl, name);
      c.on('error', () => {});
      cleanup.defer(() => void c.disconnect());
      return c;
    };
    this.flow = new BatchFlow(connection('flow-producer'), joinQueueName(state.runId));
    cleanup.defer(() => this.flow.close());
    this.joinQueue = new Queue(joinQueueName(state.runId), {
      connection: connection('join-queue'),
      streams: SHORT_STREAMS,
    });
    cleanup.defer(() => this.joinQueue.close());
    this.stageQueues = [QUEUES.probe, QUEUES.label].map(
      (name) => new Queue(name, { connection: connection(`${name}-queue`), streams: SHORT_STREAMS }),
    );
    cleanup.defer(() => Promise.all(this.stageQueues.map((q) => q.close())));
    this.records = new StageRecords(state.redis);
    const { options } = state;
    this.settings = {
      timeoutMs: options.timeout,
      concurrency: options.concurrency,
      userAgent: userAgentFor(options.contact),
      rate: options.rate,
      labelTimeoutMs: options.labelTimeout,
      labelProcesses: options.labelProcesses,
    };
  }

  /** Adds batch `batchNo` as one flow (probe -> label -> join); adding it twice is a no-op (deterministic job ids). */
  async enqueue(batchNo: number): Promise<void> {
    const { runId, options, index } = this.state;
    const hosts = await index.batch(batchNo);
    const targets: ProbeTarget[] = [];
    for (const host of hosts) {
      for (const port of options.ports) {
        targets.push(
          host.domains[0] === undefined ? { ip: host.ip, port } : { ip: host.ip, port, hostname: host.domains[0] },
        );
      }
    }
    const labelIps = hosts.filter((h) => this.plan.scan(h)).map((h) => h.ip);
    await this.flow.add(
      { runId, batchNo, settings: this.settings, targets },
      { runId, batchNo, settings: this.settings, labelIps },
    );
  }

  /**
   * Restores the resume cursor (batches below it were enqueued by an earlier
   * session). Batches enqueued before a crash but lost
   * from Redis (AOF loses at most a second), or whose join failed for good,
   * are enqueued again, from the probe on.
   */
  async requeueLostBatches(logger: Logger): Promise<void> {
    const { runId, joined, totals, redis } = this.state;
    totals.enqueued = Number((await redis.get(runKeys(runId).cursor)) ?? 0);
    for (let b = 0; b < totals.enqueued; b += 1) {
      if (joined.has(b)) continue;
      const job = await this.joinQueue.getJob(jobId(runId, b, 'join'));
      if (job === undefined) {
        logger.warn({ batch: b }, 'batch was enqueued but is not in Redis; enqueuing it again');
        await this.records.remove(runId, [b]);
        await this.enqueue(b);
      } else if (await job.isFailed()) {
        // From the probe on, not just the write: the failure may lie in what the stages returned.
        logger.warn({ batch: b, err: job.failedReason }, 'writing this batch failed before; running it again');
        await job.remove();
        await this.records.remove(runId, [b]);
        await this.enqueue(b);
      }
    }
  }

  /**
   * Enqueues the remaining batches, never more than --max-in-flight enqueued
   * and not yet written, then waits until every batch is written, the run
   * fails, or a shutdown signal comes. The cursor is kept in Redis for resume.
   */
  async enqueueWithBackPressure(join: JoinStage, signal: AbortSignal | undefined): Promise<void> {
    const { state } = this;
    const { totals, joined, options, redis } = state;
    const cursorKey = runKeys(state.runId).cursor;
    const stopped = () => signal?.aborted === true || state.joinFailure !== null;
    while (totals.enqueued < totals.batches && !stopped()) {
      if (joined.has(totals.enqueued)) {
        totals.enqueued += 1;
        continue;
      }
      if (state.inFlight() >= options.maxInFlight) {
        await join.waitForJoin(1000);
        continue;
      }
      await this.enqueue(totals.enqueued);
      totals.enqueued += 1;
      await redis.set(cursorKey, String(totals.enqueued));
    }
    while (joined.size < totals.batches && !stopped()) await join.waitForJoin(1000);
  }

  /**
   * Samples every half second: queue depths and the stage records of the
   * batches in flight (for progress), and resource use (for the
   * back-pressure benchmark). Records left behind by batches already
   * written (a worker finishing late) are deleted here.
   */
  sample(
    onSample: ((sample: { redisUsedMemory: number; rss: number }) => void) | undefined,
    cleanup: CleanupStack,
  ): void {
    const { state } = this;
    const { totals, redis, runId } = state;
    let busy = false;
    const sampler = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        const [probeCounts, labelCounts] = await Promise.all(
          this.stageQueues.map((q) => q.getJobCounts('active', 'waiting', 'prioritized')),
        );
        totals.probing = (probeCounts?.['active'] ?? 0) + (probeCounts?.['waiting'] ?? 0);
        totals.labelling = (labelCounts?.['active'] ?? 0) + (labelCounts?.['waiting'] ?? 0);
        const records = await this.records.read(runId);
        state.inFlightStages = records;
        await this.records.remove(
          runId,
          [...records.keys()].filter((b) => state.joined.has(b)),
        );
        onSample?.({ redisUsedMemory: await redisUsedMemory(redis), rss: process.memoryUsage.rss() });
      })()
        .catch(() => {})
        .finally(() => (busy = false));
    }, 500);
    cleanup.defer(() => clearInterval(sampler));
  }
}
