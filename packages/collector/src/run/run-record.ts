import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { isPathName } from '@osfp/dataset';
import type { CollectOptions } from '../config/collect-options.ts';
import type { RunSummary } from '../coordinator/run-summary.ts';
import { runKeys } from '../queue/queue-names.ts';

/** A run id that sorts by start time and never contains ':' (BullMQ job ids). */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Where a run keeps its own files: the target index, its options (run.json) and its last summary (summary.json). */
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
  'logFile',
  'lab',
  'labelSources',
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

/** Writes (aside, then renamed) the summary of the session that just ended: what a dashboard shows for a run no longer running. */
export async function saveRunSummary(
  dataDir: string,
  summary: RunSummary & { readonly endedAt: string },
): Promise<void> {
  const dir = runDir(dataDir, summary.runId);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'summary.json.tmp'), JSON.stringify(summary, null, 2));
  await rename(join(dir, 'summary.json.tmp'), join(dir, 'summary.json'));
}

/** The summary of the run's last session, or null (never ended, or not a run of this data directory). */
export async function loadRunSummary(
  dataDir: string,
  runId: string,
): Promise<(RunSummary & { readonly endedAt: string }) | null> {
  return readJson(join(runDir(dataDir, runId), 'summary.json'));
}

/** The run record in the run's directory only (no Redis): for readers of a data directory. */
export async function loadRunRecordFile(dataDir: string, runId: string): Promise<RunRecord | null> {
  return readJson(join(runDir(dataDir, runId), 'run.json'));
}

/** Ids of the runs that have a directory in this data directory. */
export async function runIds(dataDir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(resolve(dataDir), 'runs'), { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && isPathName(e.name))
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
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
