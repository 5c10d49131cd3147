import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Provenance } from '@osfp/dataset';
import type { CollectOptions } from '../config/collect-options.ts';
import { checkCollectInputs } from '../config/input-files.ts';
import { CleanupStack } from '../lifecycle/cleanup-stack.ts';
import { StageRecords } from '../queue/stage-records.ts';
import { runDir, saveRunSummary } from '../run/run-record.ts';
import type { StageBodies } from '../worker/stage-bodies.ts';
import { resolveLabelSources } from '../worker/label-sources.ts';
import { startWorkerNode } from '../worker/worker-node.ts';
import { BatchQueues } from './batch-queues.ts';
import { indexTargets } from './index-targets.ts';
import { startJoin } from './join-stage.ts';
import { LabelPlan } from './label-plan.ts';
import { coordinatorProvenance } from './provenance.ts';
import type { BatchOutcome } from './row-join.ts';
import { publishProgress } from './progress-publisher.ts';
import { openRun } from './run-opening.ts';
import type { ProgressReporter } from './run-progress.ts';
import type { RunState } from './run-state.ts';
import { summarizeRun, type RunSummary } from './run-summary.ts';
import { buildVersion } from './version-build.ts';

export { CollectInputError } from '../collect-input-error.ts';

export interface CollectDeps {
  readonly stages: StageBodies;
  readonly logger: Logger;
  readonly progress?: ProgressReporter;
  /** Aborted on SIGINT/SIGTERM: stop enqueuing, let in-flight batches finish or return to Redis. */
  readonly signal?: AbortSignal;
  readonly provenance?: () => Promise<Provenance>;
  /** Told about every joined batch (tests and benchmarks). */
  readonly onJoined?: (outcome: BatchOutcome) => void;
  /** Told the host and batch counts once the targets are indexed. */
  readonly onIndexed?: (counts: { hosts: number; batches: number }) => void;
  /** Samples of resource use, for the back-pressure benchmark. */
  readonly onSample?: (sample: { redisUsedMemory: number; rss: number }) => void;
}

/**
 * One collection run, start to finish (or to a clean pause): targets into the
 * on-disk index, batches into BullMQ flows with a bounded number in flight,
 * every joined batch written to the store once, then a new dataset version.
 * Everything needed to continue lives in Redis (cursor, queued batches) and
 * in the run's directory (options, target index, joined batches).
 */
export async function collectRun(requested: CollectOptions, deps: CollectDeps): Promise<RunSummary> {
  const { logger, signal } = deps;
  const cleanup = new CleanupStack((error) => logger.warn({ err: (error as Error).message }, 'cleanup step failed'));
  try {
    await checkCollectInputs(requested);
    const state = await openRun(requested, { logger, provenance: deps.provenance ?? coordinatorProvenance }, cleanup);
    deps.progress?.start(() => state.snapshot());
    cleanup.defer(() => deps.progress?.stop());
    const published = publishProgress(state.redis, state.runId, () => state.snapshot(), cleanup);
    // Every session ends with its summary in the run's directory and in Redis, for `osfp ui` and the like.
    const end = async (summary: RunSummary): Promise<RunSummary> => {
      await saveRunSummary(state.dataDir, { ...summary, endedAt: new Date().toISOString() });
      await published.finish(summary);
      return summary;
    };

    if (!(await indexTargets(state, { logger, signal }))) return await end(await summarize(state, 'interrupted'));
    deps.onIndexed?.({ hosts: state.totals.hosts, batches: state.totals.batches });

    const plan = await labelPlanFor(state, logger);
    for (const batchNo of await state.index.joinedBatches()) state.joined.add(batchNo);
    for (const outcome of await state.index.outcomes<BatchOutcome>()) state.count(outcome);
    // With the written batches, the ones in flight: an earlier session's workers may have probed or labelled them.
    state.inFlightStages = await new StageRecords(state.redis).read(state.runId);
    const join = startJoin(state, plan, deps, cleanup);
    if (state.options.localWorkers) {
      const workers = startWorkerNode({
        redisUrl: state.redisUrl,
        roles: ['probe', 'label'],
        stages: deps.stages,
        labelSources: resolveLabelSources(state.options.labelSources),
        logger,
      });
      cleanup.defer(() => workers.close());
    }

    const queues = new BatchQueues(state, plan, cleanup);
    await queues.requeueLostBatches(logger);
    state.phase = 'collecting';
    state.startRates();
    queues.sample(deps.onSample, cleanup);
    await queues.enqueueWithBackPressure(join, signal);

    if (state.joinFailure !== null) {
      state.phase = 'stopping';
      logger.error(
        { run: state.runId },
        `${state.joinFailure}; stopping the run (rows written so far are kept; fix the cause, then resume)`,
      );
      return await end(await summarize(state, 'failed', state.joinFailure));
    }
    if (signal?.aborted) {
      state.phase = 'stopping';
      logger.warn(
        { run: state.runId, inFlight: state.inFlight() },
        'stopping: in-flight batches finish or stay queued in Redis',
      );
      return await end(await summarize(state, 'interrupted'));
    }
    const { version, outcomes } = await buildVersion(state);
    return await end(summarizeRun({ ...summaryInput(state), status: 'complete', outcomes, version }));
  } finally {
    await cleanup.run();
  }
}

/**
 * `--label` policy, minus hosts whose recent label the dataset already has
 * (--label-max-age): those labels go from the store to the target index once
 * per run, through a file in the run's directory, and reach the plan with
 * each batch's hosts.
 */
async function labelPlanFor(
  { options, store, dataset, runId, index, dataDir }: RunState,
  logger: Logger,
): Promise<LabelPlan> {
  const reuse = options.labelMaxAge !== undefined && options.label.mode !== 'none';
  if (reuse && !(await index.hasReusableLabels())) {
    const file = join(runDir(dataDir, runId), 'reusable-labels.parquet');
    try {
      await store.writeLatestLabels(dataset, options.labelMaxAge!, file);
      const labels = await index.importReusableLabels(file);
      logger.info({ run: runId, labels }, 'labels to reuse (--label-max-age)');
    } finally {
      await rm(file, { force: true });
    }
  }
  return new LabelPlan(runId, options.label);
}

/** The summary of a run that stopped before its version (interrupted or failed): it says how to resume. */
async function summarize(state: RunState, status: 'interrupted' | 'failed', error?: string): Promise<RunSummary> {
  const outcomes = await state.index.outcomes<BatchOutcome>();
  return summarizeRun({ ...summaryInput(state), status, outcomes, version: null, ...(error ? { error } : {}) });
}

function summaryInput(state: RunState) {
  const { runId, dataset, ingest, totals, dataDir, startedMs } = state;
  return {
    runId,
    dataset,
    ingest,
    hosts: totals.hosts,
    batches: totals.batches,
    dataDir,
    elapsedMs: Date.now() - startedMs,
  };
}
