import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { openStore, sha256OfInput, type Provenance } from '@osfp/dataset';
import { datasetNameFor, type CollectOptions } from '../config/collect-options.ts';
import type { CleanupStack } from '../lifecycle/cleanup-stack.ts';
import { startEmbeddedRedis } from '../redis/embedded-redis.ts';
import { connectRedis, redactRedisUrl } from '../redis/redis-connection.ts';
import { loadRunRecord, newRunId, resumedOptions, runDir, saveRunRecord } from '../run/run-record.ts';
import { CollectInputError } from '../collect-input-error.ts';
import { RunState } from './run-state.ts';
import { TargetIndex } from './target-index.ts';

/** How long a run waits for its Redis at the start before saying it cannot reach it (mid-run, it waits for ever). */
const REDIS_START_TIMEOUT_MS = 10_000;

/** A Redis that does not answer at the start is a mistake to report (a wrong --redis), not an outage to wait out. */
async function checkReachable(redis: Redis, url: string): Promise<void> {
  let lastError: string | null = null;
  const onError = (error: Error) => (lastError = error.message);
  redis.on('error', onError);
  try {
    const answered = await Promise.race([
      redis.ping().then(
        () => true,
        () => false,
      ),
      new Promise<false>((r) => setTimeout(() => r(false), REDIS_START_TIMEOUT_MS).unref()),
    ]);
    if (!answered) {
      throw new CollectInputError(
        `cannot reach Redis at ${redactRedisUrl(url)} within ${REDIS_START_TIMEOUT_MS / 1000}s` +
          `${lastError ? ` (${lastError})` : ''}: check --redis, or leave it out to use an embedded Redis`,
      );
    }
  } finally {
    redis.off('error', onError);
  }
}

/**
 * The first step of a run: its Redis (the one given, or an embedded one),
 * its identity and options (new, or restored by --resume), its store entry
 * and its target index. Everything opened here is released by `cleanup`.
 */
export async function openRun(
  requested: CollectOptions,
  deps: { logger: Logger; provenance: () => Promise<Provenance> },
  cleanup: CleanupStack,
): Promise<RunState> {
  const { logger } = deps;
  const startedMs = Date.now();
  const dataDir = resolve(requested.dataDir);

  let redisUrl = requested.redis;
  if (redisUrl === undefined) {
    const embedded = await startEmbeddedRedis(dataDir);
    cleanup.defer(() => embedded.stop());
    redisUrl = embedded.url;
    logger.info({ url: redisUrl, adopted: embedded.adopted, dir: join(dataDir, 'redis') }, 'embedded redis');
  } else {
    logger.info({ url: redactRedisUrl(redisUrl) }, 'using redis');
  }
  const redis: Redis = connectRedis(redisUrl, 'coordinator');
  redis.on('error', () => {}); // reported by checkReachable, then by the listener below
  cleanup.defer(() => void redis.disconnect());
  await checkReachable(redis, redisUrl);
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection problem (retrying)'));

  let runId: string;
  let options: CollectOptions;
  let startedAt: Date;
  if (requested.resume) {
    runId = requested.resume;
    const record = await loadRunRecord(redis, dataDir, runId);
    if (!record) {
      throw new CollectInputError(
        `no run ${runId} to resume in ${dataDir} (nor in Redis ${redactRedisUrl(redisUrl)}); check --data-dir and --redis`,
      );
    }
    options = resumedOptions(record.options, requested);
    startedAt = new Date(record.startedAt);
    logger.info({ run: runId }, 'resuming run');
  } else {
    runId = newRunId();
    options = requested;
    startedAt = new Date(startedMs);
    await saveRunRecord(redis, dataDir, { runId, startedAt: startedAt.toISOString(), options });
  }
  const targetsFile = options.targets!;
  const dataset = options.dataset ?? datasetNameFor(targetsFile);

  const store = await openStore(dataDir);
  cleanup.defer(() => store.close());
  // Recorded with the run too, so a later `osfp dataset build --from RUN` can give its version the same provenance.
  const provenance = await deps.provenance();
  await store.registerRun({
    runId,
    dataset,
    startedAt,
    provenance,
    targetsFile: resolve(targetsFile),
    targetsSha256: await sha256OfInput(targetsFile, 'targets file'),
    options: { ...options, resume: undefined, redis: options.redis ? redactRedisUrl(options.redis) : undefined },
  });

  const index = await TargetIndex.open(join(runDir(dataDir, runId), 'targets.duckdb'));
  const state = new RunState(runId, options, dataset, dataDir, startedMs, redisUrl, redis, store, index, provenance);
  cleanup.defer(() => state.closeIndex());
  return state;
}
