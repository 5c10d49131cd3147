import type { Redis } from 'ioredis';
import type { CleanupStack } from '../lifecycle/cleanup-stack.ts';
import { RUN_PROGRESS_PATTERN, runKeys } from '../queue/queue-names.ts';
import type { ProgressSnapshot } from './run-progress.ts';
import type { RunSummary } from './run-summary.ts';

/** How a run looks from its Redis: running (the coordinator refreshes it every second) or how its last session ended. */
export interface PublishedProgress {
  readonly status: 'running' | RunSummary['status'];
  readonly snapshot: ProgressSnapshot;
  /** Present once a session ended. */
  readonly summary: RunSummary | null;
  /** Epoch ms of the last refresh: a running run not refreshed for a while lost its coordinator. */
  readonly updatedAt: number;
}

const PUBLISH_MS = 1000;
/** A key nobody refreshes (a killed coordinator) or a finished run's last word leaves Redis after a day. */
const TTL_SECONDS = 86_400;

/**
 * The coordinator's side: its progress snapshot in Redis every second
 * (`osfp:run:ID:progress`, one small record per run, expiring), so a
 * dashboard on any machine that reaches the Redis can follow the run.
 */
export function publishProgress(
  redis: Redis,
  runId: string,
  snapshot: () => ProgressSnapshot,
  cleanup: CleanupStack,
): { finish(summary: RunSummary): Promise<void> } {
  const key = runKeys(runId).progress;
  const write = (record: PublishedProgress) => redis.set(key, JSON.stringify(record), 'EX', TTL_SECONDS);
  let finished = false;
  const timer = setInterval(() => {
    if (!finished)
      void write({ status: 'running', snapshot: snapshot(), summary: null, updatedAt: Date.now() }).catch(() => {});
  }, PUBLISH_MS);
  timer.unref();
  cleanup.defer(() => clearInterval(timer));
  return {
    async finish(summary) {
      finished = true;
      clearInterval(timer);
      await write({ status: summary.status, snapshot: snapshot(), summary, updatedAt: Date.now() });
    },
  };
}

/** The reader's side: what a run's coordinator last published, or null. */
export async function readPublishedProgress(redis: Redis, runId: string): Promise<PublishedProgress | null> {
  const text = await redis.get(runKeys(runId).progress);
  if (text === null) return null;
  try {
    return JSON.parse(text) as PublishedProgress;
  } catch {
    return null;
  }
}

/** Ids of every run that published progress on this Redis (SCAN, not KEYS: never blocks the server). */
export async function publishedRunIds(redis: Redis): Promise<string[]> {
  const ids = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', RUN_PROGRESS_PATTERN, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const match = /^osfp:run:(.+):progress$/.exec(key);
      if (match?.[1]) ids.add(match[1]);
    }
  } while (cursor !== '0');
  return [...ids].sort();
}
