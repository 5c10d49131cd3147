import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { CleanupStack } from '../lifecycle/cleanup-stack.ts';
import type { JoinJobData, LabelJobResult } from '../queue/job-payloads.ts';
import { joinQueueName } from '../queue/queue-names.ts';
import { StageRecords } from '../queue/stage-records.ts';
import { connectRedis } from '../redis/redis-connection.ts';
import { lockSettings } from '../worker/worker-node.ts';
import type { LabelPlan } from './label-plan.ts';
import { joinBatch, type BatchOutcome } from './row-join.ts';
import type { RunState } from './run-state.ts';

/** The coordinator's side of the join: waiting for batches to be written. */
export interface JoinStage {
  /** Resolves when a batch was joined (or failed for good), or after `ms`, whichever comes first. */
  waitForJoin(ms: number): Promise<void>;
}

/**
 * Starts the join: the run's own queue, one batch at a time into the store.
 * Only this coordinator holds the run's target index and store, which is why
 * the join is not a worker's job. Each batch is written once (idempotent per
 * run and batch) and counted once; a batch that fails for good stops the run.
 */
export function startJoin(
  state: RunState,
  plan: LabelPlan,
  deps: { logger: Logger; onJoined?: ((outcome: BatchOutcome) => void) | undefined },
  cleanup: CleanupStack,
): JoinStage {
  const { logger } = deps;
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of waiters) wake();
  };
  const connection = connectRedis(state.redisUrl, 'join-worker');
  connection.on('error', () => {});
  // BullMQ never closes a connection it was given: it is disconnected after the worker closed.
  cleanup.defer(() => void connection.disconnect());

  const records = new StageRecords(state.redis);
  const worker = new Worker<JoinJobData, number>(
    joinQueueName(state.runId),
    async (job: Job<JoinJobData>) => {
      const { batchNo } = job.data;
      const result = Object.values(await job.getChildrenValues<LabelJobResult>())[0] ?? null;
      const hosts = await state.index.batch(batchNo);
      const { rows, outcome } = joinBatch({ runId: state.runId, batchNo, hosts, result, plan });
      await state.store.writeBatch(state.runId, String(batchNo), rows);
      await state.index.recordOutcome(batchNo, outcome);
      if (!state.joined.has(batchNo)) {
        state.joined.add(batchNo);
        state.count(outcome);
        deps.onJoined?.(outcome);
      }
      // The outcome now counts the batch; its in-flight records go (a crash before this line: the sampler deletes them).
      await records.remove(state.runId, [batchNo]);
      wakeAll();
      return rows.length;
    },
    { connection, concurrency: 1, ...lockSettings() },
  );
  worker.on('error', (error) => logger.warn({ err: error.message }, 'join worker problem (retrying)'));
  // A batch whose join failed for good stops the run (its rows must not silently go missing from the version);
  // what was written stays, and --resume retries the batch once the cause is fixed.
  worker.on('failed', (job, error) => {
    logger.error({ job: job?.id, attempt: job?.attemptsMade, err: error.message }, 'joining a batch failed');
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      state.joinFailure ??= `writing batch ${job.data.batchNo} failed ${job.attemptsMade} times: ${error.message}`;
      wakeAll();
    }
  });
  cleanup.defer(() => worker.close());

  return {
    waitForJoin: (ms) =>
      new Promise<void>((wake) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          wake();
        }
        waiters.add(done);
      }),
  };
}
