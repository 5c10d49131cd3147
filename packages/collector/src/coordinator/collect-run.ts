import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { FEATURE_SCHEMA_VERSION, openStore, type LabelFields, type Provenance, type StageCounts } from '@osfp/dataset';
import { datasetNameFor, userAgentFor, type CollectOptions } from '../config/collect-options.ts';
import { NameResolver } from '../dns/name-resolver.ts';
import { ExclusionPolicy, readExcludeFile } from '../exclusions/exclusion-policy.ts';
import type { ProgressReporter } from '../progress/progress-reporter.ts';
import type { ProgressSnapshot } from '../progress/run-progress.ts';
import { BatchFlow } from '../queue/batch-flow.ts';
import type { JoinJobData, LabelJobResult, ProbeTarget, RunSettings } from '../queue/job-payloads.ts';
import { joinQueueName, jobId, QUEUES, runKeys } from '../queue/queue-names.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from '../redis/embedded-redis.ts';
import { connectRedis, redactRedisUrl, redisUsedMemory } from '../redis/redis-connection.ts';
import { loadRunRecord, newRunId, resumedOptions, runDir, saveRunRecord } from '../run/run-record.ts';
import type { StageBodies } from '../worker/stage-bodies.ts';
import { lockSettings, startWorkerNode, type WorkerNode } from '../worker/worker-node.ts';
import { LabelPlan } from './label-plan.ts';
import { joinBatch, type BatchOutcome } from './row-join.ts';
import { summarizeRun, type RunSummary } from './run-summary.ts';
import { TargetIndex } from './target-index.ts';
import { emptyIngestCounts, ingestTargets, type IngestCounts } from './target-ingest.ts';

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

/** Thrown for a problem the user can fix (bad --resume, unreadable file): the CLI prints it as a usage error. */
export class CollectInputError extends Error {}

/**
 * One collection run, start to finish (or to a clean pause): targets into the
 * on-disk index, batches into BullMQ flows with a bounded number in flight,
 * every joined batch written to the store once, then a new dataset version.
 * Everything needed to continue lives in Redis (cursor, queued batches) and
 * in the run's directory (options, target index, joined batches).
 */
export async function collectRun(requested: CollectOptions, deps: CollectDeps): Promise<RunSummary> {
  const { logger } = deps;
  const dataDir = resolve(requested.dataDir);
  const startedMs = Date.now();

  let embedded: EmbeddedRedis | null = null;
  const redisUrl = requested.redis ?? (embedded = await startEmbeddedRedis(dataDir)).url;
  if (embedded) logger.info({ url: redisUrl, adopted: embedded.adopted, dir: join(dataDir, 'redis') }, 'embedded redis');
  else logger.info({ url: redactRedisUrl(redisUrl) }, 'using redis');
  const redis = connectRedis(redisUrl, 'coordinator');
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection problem (retrying)'));

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'cleanup step failed');
      }
    }
  };
  cleanups.push(() => embedded?.stop());
  cleanups.push(() => void redis.disconnect());
  // BullMQ never closes a connection it was given: each is disconnected here, after its user closed.
  const connection = (name: string) => {
    const c = connectRedis(redisUrl, name);
    c.on('error', () => {});
    cleanups.push(() => void c.disconnect());
    return c;
  };

  try {
    // --- the run: new, or resumed with its persisted options ---
    let runId: string;
    let options: CollectOptions;
    let startedAt: Date;
    if (requested.resume) {
      runId = requested.resume;
      const record = await loadRunRecord(redis, dataDir, runId);
      if (!record) {
        throw new CollectInputError(`no run ${runId} to resume in ${dataDir} (nor in Redis ${redactRedisUrl(redisUrl)}); check --data-dir and --redis`);
      }
      options = resumedOptions(record.options, requested);
      startedAt = new Date(record.startedAt);
      logger.info({ run: runId }, 'resuming run');
    } else {
      runId = newRunId();
      options = requested;
      startedAt = new Date();
      await saveRunRecord(redis, dataDir, { runId, startedAt: startedAt.toISOString(), options });
    }
    const targetsFile = options.targets!;
    const dataset = options.dataset ?? datasetNameFor(targetsFile);

    const store = await openStore(dataDir);
    cleanups.push(() => store.close());
    // Recorded with the run too, so a later `osfp dataset build --from RUN` can give its version the same provenance.
    const provenance = await (deps.provenance ?? defaultProvenance)();
    await store.registerRun({
      runId, dataset, startedAt, provenance,
      targetsFile: resolve(targetsFile),
      targetsSha256: await sha256File(targetsFile),
      options: { ...options, resume: undefined, redis: options.redis ? redactRedisUrl(options.redis) : undefined },
    });

    const index = await TargetIndex.open(join(runDir(dataDir, runId), 'targets.duckdb'));
    let indexOpen = true;
    const closeIndex = () => {
      if (indexOpen) index.close();
      indexOpen = false;
    };
    cleanups.push(closeIndex);

    // --- progress ---
    const ingest: IngestCounts = emptyIngestCounts();
    const totals = { hosts: 0, batches: 0, enqueued: 0, joined: 0, probed: 0, responsive: 0, labelled: 0, written: 0, probing: 0, labelling: 0 };
    let phase: ProgressSnapshot['phase'] = 'reading targets';
    const snapshot = (): ProgressSnapshot => ({ runId, phase, ingest, ...totals, elapsedMs: Date.now() - startedMs });
    deps.progress?.start(snapshot);
    cleanups.push(() => deps.progress?.stop());

    // --- targets -> index (once per run; a crash before sealing starts it over) ---
    if (!(await index.isSealed())) {
      await index.clear();
      const exclude = (await Promise.all(options.exclude.map(readExcludeFile))).flat();
      const policy = new ExclusionPolicy({ allow: options.allow, exclude });
      const resolver = new NameResolver({ servers: options.dnsServer, concurrency: options.dnsConcurrency, timeoutMs: options.dnsTimeout });
      await ingestTargets({
        file: targetsFile, index, resolver, policy, counts: ingest,
        onMalformed: (m) => logger.warn({ line: m.line, text: m.text, reason: m.reason }, `targets file line ${m.line}: ${m.reason}; skipped`),
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      if (deps.signal?.aborted) {
        logger.warn({ run: runId }, 'interrupted while reading targets; resume starts reading again');
        return await finish('interrupted', null);
      }
      await index.seal(options.batchSize);
      await redis.set(runKeys(runId).ingest, JSON.stringify(ingest));
    } else {
      Object.assign(ingest, JSON.parse((await redis.get(runKeys(runId).ingest)) ?? 'null') ?? {});
    }
    Object.assign(totals, await index.counts());
    deps.onIndexed?.({ hosts: totals.hosts, batches: totals.batches });
    logger.info({ run: runId, hosts: totals.hosts, batches: totals.batches, ...ingest }, 'targets indexed');
    const dnsFailures = ingest.unresolved - (ingest.unresolvedByReason['no-address'] ?? 0);
    if (ingest.names > 0 && ingest.resolved === 0 && dnsFailures > 0) {
      const servers = options.dnsServer.length > 0 ? options.dnsServer.join(', ') : "the system's resolver";
      logger.warn(
        { run: runId, unresolvedByReason: ingest.unresolvedByReason },
        `no name resolved: ${servers} did not answer for ${dnsFailures} of ${ingest.names} names; check --dns-server and --dns-timeout`,
      );
    }

    // --- labels: policy and reuse ---
    const reused: Map<string, LabelFields> =
      options.labelMaxAge !== undefined && options.label.mode !== 'none' ? await store.latestLabels(dataset, options.labelMaxAge) : new Map();
    const plan = new LabelPlan(runId, options.label, reused);

    const settings: RunSettings = {
      timeoutMs: options.timeout,
      concurrency: options.concurrency,
      userAgent: userAgentFor(options.contact),
      rate: options.rate,
      labelTimeoutMs: options.labelTimeout,
      labelProcesses: options.labelProcesses,
    };

    // --- joined batches so far (resume) ---
    const joined = await index.joinedBatches();
    for (const outcome of await index.outcomes<BatchOutcome>()) count(outcome);
    function count(outcome: BatchOutcome): void {
      totals.joined += 1;
      totals.probed += outcome.probed;
      totals.responsive += outcome.rows;
      totals.written += outcome.rows;
      totals.labelled += (outcome.labelStatus.ok ?? 0) + (outcome.labelStatus['no-match'] ?? 0);
    }

    // --- the join: this coordinator's own queue, one batch at a time into the store ---
    const joinWaiters = new Set<() => void>();
    const joinWorker = new Worker<JoinJobData, number>(
      joinQueueName(runId),
      async (job: Job<JoinJobData>) => {
        const { batchNo } = job.data;
        const result = Object.values(await job.getChildrenValues<LabelJobResult>())[0] ?? null;
        const hosts = await index.batch(batchNo);
        const { rows, outcome } = joinBatch({ runId, batchNo, hosts, result, plan });
        await store.writeBatch(runId, String(batchNo), rows);
        await index.recordOutcome(batchNo, outcome);
        if (!joined.has(batchNo)) {
          joined.add(batchNo);
          count(outcome);
          deps.onJoined?.(outcome);
        }
        for (const wake of joinWaiters) wake();
        return rows.length;
      },
      { connection: connection('join-worker'), concurrency: 1, ...lockSettings() },
    );
    joinWorker.on('error', (error) => logger.warn({ err: error.message }, 'join worker problem (retrying)'));
    // A batch whose join failed for good stops the run (its rows must not silently go missing from the version);
    // what was written stays, and --resume retries the batch once the cause is fixed.
    let joinFailure = null as string | null;
    joinWorker.on('failed', (job, error) => {
      logger.error({ job: job?.id, attempt: job?.attemptsMade, err: error.message }, 'joining a batch failed');
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        joinFailure ??= `writing batch ${job.data.batchNo} failed ${job.attemptsMade} times: ${error.message}`;
        for (const wake of joinWaiters) wake();
      }
    });
    cleanups.push(() => joinWorker.close());

    let workers: WorkerNode | null = null;
    if (options.localWorkers) {
      workers = startWorkerNode({ redisUrl, roles: ['probe', 'label'], stages: deps.stages, logger });
      cleanups.push(() => workers?.close());
    }

    const flow = new BatchFlow(connection('flow-producer'), joinQueueName(runId));
    cleanups.push(() => flow.close());
    // BullMQ's event streams (default 10,000 entries per queue) would keep every
    // completed job's return value, a batch of features each: Redis memory would
    // then follow the run's length. Nobody here reads the streams; keep them short.
    const streams = { events: { maxLen: 50 } };
    const joinQueue = new Queue(joinQueueName(runId), { connection: connection('join-queue'), streams });
    cleanups.push(() => joinQueue.close());
    const stageQueues = [QUEUES.probe, QUEUES.label].map((name) => new Queue(name, { connection: connection(`${name}-queue`), streams }));
    cleanups.push(() => Promise.all(stageQueues.map((q) => q.close())).then(() => undefined));

    const enqueue = async (batchNo: number): Promise<void> => {
      const hosts = await index.batch(batchNo);
      const targets: ProbeTarget[] = [];
      for (const host of hosts) {
        for (const port of options.ports) {
          targets.push(host.domains[0] === undefined ? { ip: host.ip, port } : { ip: host.ip, port, hostname: host.domains[0] });
        }
      }
      const labelIps = hosts.filter((h) => plan.scan(h.ip)).map((h) => h.ip);
      await flow.add({ runId, batchNo, settings, targets }, { runId, batchNo, settings, labelIps });
    };

    // --- resume: batches enqueued before the crash but lost from Redis (AOF loses at most a second) ---
    const cursorKey = runKeys(runId).cursor;
    let cursor = Number((await redis.get(cursorKey)) ?? 0);
    for (let b = 0; b < cursor; b += 1) {
      if (joined.has(b)) continue;
      const job = await joinQueue.getJob(jobId(runId, b, 'join'));
      if (job === undefined) {
        logger.warn({ batch: b }, 'batch was enqueued but is not in Redis; enqueuing it again');
        await enqueue(b);
      } else if (await job.isFailed()) {
        // From the probe on, not just the write: the failure may lie in what the stages returned.
        logger.warn({ batch: b, err: job.failedReason }, 'writing this batch failed before; running it again');
        await job.remove();
        await enqueue(b);
      }
    }

    // --- enqueue with back-pressure ---
    phase = 'collecting';
    const inFlight = () => cursor - [...joined].filter((b) => b < cursor).length;
    const waitForJoin = (ms: number) =>
      new Promise<void>((wake) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          joinWaiters.delete(done);
          wake();
        }
        joinWaiters.add(done);
      });
    const sampler = setInterval(() => {
      void (async () => {
        const [probeCounts, labelCounts] = await Promise.all(stageQueues.map((q) => q.getJobCounts('active', 'waiting', 'prioritized')));
        totals.probing = (probeCounts?.['active'] ?? 0) + (probeCounts?.['waiting'] ?? 0);
        totals.labelling = (labelCounts?.['active'] ?? 0) + (labelCounts?.['waiting'] ?? 0);
        deps.onSample?.({ redisUsedMemory: await redisUsedMemory(redis), rss: process.memoryUsage.rss() });
      })().catch(() => {});
    }, 500);
    cleanups.push(() => clearInterval(sampler));

    while (cursor < totals.batches && !deps.signal?.aborted && joinFailure === null) {
      if (joined.has(cursor)) {
        cursor += 1;
        continue;
      }
      if (inFlight() >= options.maxInFlight) {
        await waitForJoin(1000);
        continue;
      }
      await enqueue(cursor);
      cursor += 1;
      await redis.set(cursorKey, String(cursor));
      totals.enqueued = cursor;
    }
    totals.enqueued = cursor;
    while (joined.size < totals.batches && !deps.signal?.aborted && joinFailure === null) await waitForJoin(1000);

    if (joinFailure !== null) {
      phase = 'stopping';
      logger.error({ run: runId }, `${joinFailure}; stopping the run (rows written so far are kept; fix the cause, then resume)`);
      return await finish('failed', null, joinFailure);
    }

    if (deps.signal?.aborted) {
      phase = 'stopping';
      logger.warn({ run: runId, inFlight: inFlight() }, 'stopping: in-flight batches finish or stay queued in Redis');
      return await finish('interrupted', null);
    }

    // --- a new version ---
    phase = 'building version';
    const outcomes = await index.outcomes<BatchOutcome>();
    // Its buffer pool (up to 24 MB, full at a million names) is not needed any more: freed before the build needs memory.
    closeIndex();
    const counts = stageCounts(ingest, outcomes, totals.hosts, totals.batches);
    await store.recordCounts(runId, counts);
    const manifest = await store.buildVersion(dataset, { runs: [runId], provenance, counts });
    phase = 'done';
    await redis.del(cursorKey, runKeys(runId).ingest);
    return summarize('complete', outcomes, { dataset: manifest.dataset, version: manifest.version, path: join(dataDir, 'datasets', manifest.dataset, `v${manifest.version}`), rows: manifest.rows });

    async function finish(status: RunSummary['status'], version: RunSummary['version'], error?: string): Promise<RunSummary> {
      return summarize(status, await index.outcomes<BatchOutcome>(), version, error);
    }
    function summarize(status: RunSummary['status'], outcomes: readonly BatchOutcome[], version: RunSummary['version'], error?: string): RunSummary {
      return summarizeRun({ runId, dataset, status, ingest, outcomes, hosts: totals.hosts, batches: totals.batches, version, elapsedMs: Date.now() - startedMs, dataDir, ...(error ? { error } : {}) });
    }
  } finally {
    await cleanup();
  }
}

function stageCounts(ingest: IngestCounts, outcomes: readonly BatchOutcome[], hosts: number, batches: number): StageCounts {
  const counts: StageCounts = {
    targets_read: ingest.lines, malformed: ingest.malformed, names: ingest.names, resolved: ingest.resolved,
    unresolved: ingest.unresolved, excluded: ingest.excluded, addresses: hosts, batches,
    probed: 0, responsive: 0, written: 0, batches_failed: 0,
  };
  for (const o of outcomes) {
    counts['probed']! += o.probed;
    counts['responsive']! += o.rows;
    counts['written']! += o.rows;
    if (o.probeFailed) counts['batches_failed']! += 1;
    for (const [status, n] of Object.entries(o.probeStatus)) counts[`probe_${status}`] = (counts[`probe_${status}`] ?? 0) + (n ?? 0);
    for (const [status, n] of Object.entries(o.labelStatus)) counts[`label_${status}`] = (counts[`label_${status}`] ?? 0) + (n ?? 0);
    counts['labels_reused'] = (counts['labels_reused'] ?? 0) + o.reusedLabels;
  }
  return counts;
}

async function defaultProvenance(): Promise<Provenance> {
  const labeler = await import('@osfp/labeler');
  let nmap: { nmapVersion: string; osDbSha256: string } | null = null;
  try {
    nmap = await labeler.nmapPreflight();
  } catch {
    // A pure coordinator may have no Nmap; the workers' Nmap made the labels.
  }
  return {
    toolVersion: '0.1.0',
    nmapVersion: nmap?.nmapVersion ?? null,
    nmapOsDbSha256: nmap?.osDbSha256 ?? null,
    taxonomyVersion: String(labeler.DEFAULT_TAXONOMY.version),
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
  };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch {
    throw new CollectInputError(`targets file ${path} cannot be read (does it exist?)`);
  }
  return hash.digest('hex');
}

