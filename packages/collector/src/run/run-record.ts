import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { CollectOptions } from '../config/collect-options.ts';
import { runKeys } from '../queue/queue-names.ts';

/** A run id that sorts by start time and never contains ':' (BullMQ job ids). */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Where a run keeps its own files: the target index and its options. */
export function runDir(dataDir: string, runId: string): string {
  return join(resolve(dataDir), 'runs', runId);
}

/**
 * The options that define a run: what --resume restores whatever the new
 * command line says. How the run is executed (Redis, local workers, progress,
 * in-flight bound) may change between sessions.
 */
const SESSION_KEYS = [
  'resume',
  'redis',
  'localWorkers',
  'maxInFlight',
  'progress',
  'logInterval',
  'lab',
  'dataDir',
] as const;

export interface RunRecord {
  readonly runId: string;
  readonly startedAt: string;
  readonly options: CollectOptions;
}

/** Persists the run's options twice: in Redis (beside the resume cursor) and in the run's directory. */
export async function saveRunRecord(redis: Redis, dataDir: string, record: RunRecord): Promise<void> {
  const dir = runDir(dataDir, record.runId);
  await mkdir(dir, { recursive: true });
  const text = JSON.stringify(record, null, 2);
  await writeFile(join(dir, 'run.json.tmp'), text);
  await rename(join(dir, 'run.json.tmp'), join(dir, 'run.json'));
  await redis.set(runKeys(record.runId).options, text);
}

export async function loadRunRecord(redis: Redis, dataDir: string, runId: string): Promise<RunRecord | null> {
  const fromRedis = await redis.get(runKeys(runId).options);
  if (fromRedis) return JSON.parse(fromRedis) as RunRecord;
  try {
    return JSON.parse(await readFile(join(runDir(dataDir, runId), 'run.json'), 'utf8')) as RunRecord;
  } catch {
    return null;
  }
}

/** The persisted run options, with this session's way of running it. */
export function resumedOptions(persisted: CollectOptions, session: CollectOptions): CollectOptions {
  const merged: Record<string, unknown> = { ...persisted };
  for (const key of SESSION_KEYS) merged[key] = session[key];
  return merged as CollectOptions;
}
