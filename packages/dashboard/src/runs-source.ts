import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  joinQueueName,
  loadRunRecordFile,
  loadRunSummary,
  publishedRunIds,
  QUEUES,
  readPublishedProgress,
  redactRedisUrl,
  runIds,
  type PublishedProgress,
} from '@osfp/collector';
import { validateRunId } from '@osfp/dataset';
import type { RunDetail, RunListItem, RunStatus, StageFailure } from './api-types.ts';
import type { RedisSource } from './redis-source.ts';

/** A coordinator that has not refreshed its progress for this long is not running any more (killed?). */
const SILENT_AFTER_MS = 10_000;
/** Failed jobs looked at per queue. */
const FAILURES_SCANNED = 500;

function statusOf(published: PublishedProgress | null, ended: { status: RunStatus } | null, now: number): RunStatus {
  if (published?.status === 'running') return now - published.updatedAt > SILENT_AFTER_MS ? 'silent' : 'running';
  return published?.status ?? ended?.status ?? 'unknown';
}

/**
 * Runs as the dashboard shows them: those of the data directory (run.json,
 * and summary.json once a session ended) and those publishing progress on the
 * Redis (live per-stage counts; runs of other machines too).
 */
export class RunsSource {
  constructor(
    private readonly dataDir: string,
    private readonly redis: RedisSource,
  ) {}

  private async published(runId: string): Promise<PublishedProgress | null> {
    const redis = this.redis.current();
    if (redis === null || redis.status !== 'ready') return null;
    return readPublishedProgress(redis, runId).catch(() => null);
  }

  async list(now = Date.now()): Promise<RunListItem[]> {
    const ids = new Set(await runIds(this.dataDir));
    const redis = this.redis.current();
    if (redis?.status === 'ready') for (const id of await publishedRunIds(redis).catch(() => [])) ids.add(id);
    const items = await Promise.all(
      [...ids].map(async (runId): Promise<RunListItem> => {
        const [record, summary, published] = await Promise.all([
          loadRunRecordFile(this.dataDir, runId),
          loadRunSummary(this.dataDir, runId),
          this.published(runId),
        ]);
        const last = published?.summary ?? summary;
        return {
          runId,
          dataset: published?.snapshot.dataset ?? last?.dataset ?? record?.options.dataset ?? null,
          status: statusOf(published, summary, now),
          startedAt: record?.startedAt ?? null,
          endedAt: summary?.endedAt ?? null,
          batches: published?.snapshot.batches ?? last?.batches ?? null,
          written: published?.snapshot.stages.write.batches ?? last?.batchesJoined ?? null,
          rows: published?.snapshot.written ?? last?.rows ?? null,
        };
      }),
    );
    // Newest first: run ids start with their UTC start time.
    return items.sort((a, b) => b.runId.localeCompare(a.runId));
  }

  /** Null when no run of that id is known here. */
  async detail(runId: string, now = Date.now()): Promise<RunDetail | null> {
    validateRunId(runId);
    const [record, summary, published] = await Promise.all([
      loadRunRecordFile(this.dataDir, runId),
      loadRunSummary(this.dataDir, runId),
      this.published(runId),
    ]);
    if (!record && !summary && !published) return null;
    const redis = this.redis.current();
    const live = redis?.status === 'ready';
    const options = record ? { ...record.options } : null;
    if (options && typeof options['redis'] === 'string') options['redis'] = redactRedisUrl(options['redis']);
    return {
      runId,
      status: statusOf(published, summary, now),
      startedAt: record?.startedAt ?? null,
      endedAt: summary?.endedAt ?? null,
      options,
      snapshot: published?.snapshot ?? null,
      updatedAt: published?.updatedAt ?? null,
      summary: published?.summary ?? summary ?? null,
      failures: live ? await stageFailures(redis, runId).catch(() => []) : [],
      liveNote:
        redis === null
          ? 'no Redis: give --redis URL, or start osfp collect on this data directory, for live counts and failures'
          : live
            ? null
            : `Redis ${this.redis.status().url} is unreachable`,
    };
  }
}

/** The run's batch stages that failed, for good or with retries left, newest first. */
async function stageFailures(redis: Redis, runId: string): Promise<StageFailure[]> {
  const failures: StageFailure[] = [];
  for (const name of [QUEUES.probe, QUEUES.label, joinQueueName(runId)]) {
    const queue = new Queue(name, { connection: redis, skipMetasUpdate: true, skipVersionCheck: true });
    try {
      const jobs: Job[] = await queue.getJobs(['failed', 'delayed'], 0, FAILURES_SCANNED);
      for (const job of jobs) {
        if (!job?.id?.startsWith(`${runId}:`) || !job.failedReason) continue;
        failures.push({
          queue: name,
          jobId: job.id,
          batch: Number.isInteger(Number(job.id.split(':')[1])) ? Number(job.id.split(':')[1]) : null,
          state: job.finishedOn ? 'failed' : 'retrying',
          attempts: job.attemptsMade,
          reason: job.failedReason,
          at: job.finishedOn ?? job.processedOn ?? null,
        });
      }
    } finally {
      await queue.close();
    }
  }
  return failures.sort((a, b) => (b.at ?? 0) - (a.at ?? 0));
}
