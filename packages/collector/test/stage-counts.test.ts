/**
 * Per-stage progress counts (issue 14): probed and responsive move when a
 * probe batch finishes, labelled when a label batch finishes, written when the
 * batch is joined; exact across retries and a coordinator restart, with one
 * small Redis record per batch in flight. Real Redis (a redis-server of the
 * test's own), real store, fake stage bodies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs, scratchDir } from '@osfp/test-support';
import { CollectOptionsSchema } from '../src/config/collect-options.ts';
import { collectRun } from '../src/coordinator/collect-run.ts';
import type { ProgressReporter, ProgressSnapshot } from '../src/coordinator/run-progress.ts';
import { readPublishedProgress } from '../src/coordinator/progress-publisher.ts';
import { runKeys } from '../src/queue/queue-names.ts';
import { freePort } from '../src/redis/embedded-redis.ts';
import { connectRedis } from '../src/redis/redis-connection.ts';
import { runDir } from '../src/run/run-record.ts';
import { RunState } from '../src/coordinator/run-state.ts';
import type { TargetIndex } from '../src/coordinator/target-index.ts';
import type { DatasetStore, Provenance } from '@osfp/dataset';
import { fakeStageBodies } from '../testing/index.ts';

const logger = pino({ level: 'silent' });

/** Takes a snapshot every 25 ms, as a display would, and checks the Redis footprint while it does. */
function recorder(redis: Redis, runIdOf: () => string | null) {
  const snapshots: ProgressSnapshot[] = [];
  let maxStageFields = 0;
  let timer: NodeJS.Timeout | null = null;
  const reporter: ProgressReporter = {
    start(snapshot) {
      timer = setInterval(() => {
        snapshots.push(snapshot());
        const runId = runIdOf() ?? snapshots.at(-1)?.runId;
        if (runId) void redis.hlen(runKeys(runId).stages).then((n) => (maxStageFields = Math.max(maxStageFields, n)));
      }, 25);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
  return { reporter, snapshots, maxStageFields: () => maxStageFields };
}

function expectMonotonic(snapshots: readonly ProgressSnapshot[]): void {
  for (const key of ['probed', 'responsive', 'labelled', 'written'] as const) {
    const values = snapshots.map((s) => s[key]);
    expect(values, key).toEqual([...values].sort((a, b) => a - b));
  }
}

describe('a run state counts each batch once', () => {
  it('from its stage records while in flight, from its outcome once written', () => {
    const state = new RunState(
      'R',
      CollectOptionsSchema.parse({ targets: 't' }),
      'web',
      '/d',
      0,
      'redis://x',
      {} as Redis,
      {} as DatasetStore,
      {} as TargetIndex,
      {} as Provenance,
    );
    state.totals.batches = 3;
    state.inFlightStages = new Map([
      [0, { probe: { probed: 4, responsive: 3, at: 0 }, label: { labelled: 2, probeFailed: false, at: 0 } }],
      [1, { probe: { probed: 4, responsive: 1, at: 0 } }],
    ]);
    expect(state.snapshot(1000)).toMatchObject({ probed: 8, responsive: 4, labelled: 2, written: 0 });
    // Batch 0 is written; its records are still in Redis for a moment: counted once, from the outcome.
    state.joined.add(0);
    state.count({
      batchNo: 0,
      hosts: 4,
      probed: 4,
      rows: 3,
      probeFailed: false,
      probeStatus: { success: 3, refused: 1 },
      labelStatus: { ok: 2, failed: 1 },
      reusedLabels: 0,
      classes: {},
    });
    const s = state.snapshot(2000);
    expect(s).toMatchObject({ probed: 8, responsive: 4, labelled: 2, written: 3 });
    expect([s.stages.probe.batches, s.stages.label.batches, s.stages.write.batches]).toEqual([2, 1, 1]);
  });
});

describe.skipIf(needs('redis-server'))('per-stage progress counts', () => {
  let server: ChildProcess;
  let url: string;
  let redis: Redis;

  beforeAll(async () => {
    const port = await freePort();
    const dir = await scratchDir('osfp-stage-redis-');
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir], {
      stdio: 'ignore',
    });
    url = `redis://127.0.0.1:${port}`;
    redis = connectRedis(url, 'test');
    redis.on('error', () => {}); // refused until the server listens; ioredis retries
    await redis.ping();
  });
  afterAll(() => {
    redis?.disconnect();
    server?.kill();
  });

  it('moves probed before labelled before written, exactly once per batch across retries', async () => {
    const dir = await scratchDir('osfp-stages-');
    const targets = join(dir, 'stages.txt');
    await writeFile(targets, '198.18.10.0/28\n');
    const stages = fakeStageBodies();
    const rec = recorder(redis, () => null);
    // Labelling waits until a display has shown probing with its rate: deterministic however loaded the machine is.
    const probingShown = async () => {
      for (let waited = 0; waited < 30_000; waited += 50) {
        if (rec.snapshots.some((s) => s.probed > 0 && s.stages.probe.countPerSec !== null)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    let probeFailures = 0;
    let labelFailures = 0;
    const flaky = {
      ...stages,
      // The batch holding .4 fails its probe once and its label once: both stages are retried.
      async createProber(...args: Parameters<typeof stages.createProber>) {
        const prober = await stages.createProber(...args);
        return {
          ...prober,
          probeBatch: async (...a: Parameters<typeof prober.probeBatch>) => {
            if (a[0].some((t) => t.ip === '198.18.10.4') && probeFailures++ === 0) throw new Error('probe hiccup');
            return prober.probeBatch(...a);
          },
        };
      },
      labelHosts: async (...a: Parameters<typeof stages.labelHosts>) => {
        await probingShown();
        if (a[0].some((t) => t.ip === '198.18.10.5') && labelFailures++ === 0) throw new Error('nmap hiccup');
        return stages.labelHosts(...a);
      },
    };
    const summary = await collectRun(
      CollectOptionsSchema.parse({
        targets,
        dataDir: join(dir, 'data'),
        redis: url,
        allow: ['198.18.0.0/15'],
        batchSize: 4,
        maxInFlight: 2,
        progress: 'log',
      }),
      { stages: flaky, logger, progress: rec.reporter },
    );
    expect(summary.status).toBe('complete');
    expect(probeFailures).toBeGreaterThan(1);
    expect(labelFailures).toBeGreaterThan(1);

    const shots = rec.snapshots;
    expect(shots.length).toBeGreaterThan(20);
    // Never more than the run holds: a retried stage overwrites its record, a written batch is counted once.
    expect(Math.max(...shots.map((s) => s.probed))).toBe(16);
    expect(Math.max(...shots.map((s) => s.responsive))).toBe(8);
    expect(Math.max(...shots.map((s) => s.labelled))).toBe(8);
    expectMonotonic(shots);
    // Probing shows before labelling finishes (labelled before written: the unit test below; a join takes milliseconds).
    expect(shots.some((s) => s.probed > 0 && s.labelled === 0 && s.written === 0)).toBe(true);
    expect(shots.some((s) => s.stages.probe.countPerSec !== null && s.written === 0)).toBe(true);
    const last = shots.at(-1)!;
    expect(last).toMatchObject({ probed: 16, responsive: 8, labelled: 8, written: 8 });
    expect([last.stages.probe.batches, last.stages.label.batches, last.stages.write.batches]).toEqual([4, 4, 4]);

    // Flat Redis: at most a probe and a label record per batch in flight, none once the version is built.
    expect(rec.maxStageFields()).toBeGreaterThan(0);
    expect(rec.maxStageFields()).toBeLessThanOrEqual(2 * 2);
    expect(await redis.exists(runKeys(summary.runId).stages)).toBe(0);
    // The run's last word, for dashboards: in Redis and in the run's directory.
    expect(await readPublishedProgress(redis, summary.runId)).toMatchObject({
      status: 'complete',
      snapshot: { probed: 16, written: 8 },
    });
    const saved = JSON.parse(await readFile(join(runDir(join(dir, 'data'), summary.runId), 'summary.json'), 'utf8'));
    expect(saved).toMatchObject({ status: 'complete', rows: 8, runId: summary.runId });
  }, 90_000);

  it('keeps the counts of batches in flight across a coordinator restart (resume)', async () => {
    const dir = await scratchDir('osfp-stages-');
    const targets = join(dir, 'restart.txt');
    await writeFile(targets, '198.18.11.0/27\n');
    const dataDir = join(dir, 'data');
    const controller = new AbortController();
    const first = recorder(redis, () => null);
    // The first label waits until two batches show as probed: at the first write (and the stop) some are probed, not written.
    const stages = fakeStageBodies({ labelDelayMs: 100 });
    let labelCalls = 0;
    const twoProbed = async () => {
      for (let waited = 0; waited < 30_000; waited += 50) {
        if ((first.snapshots.at(-1)?.stages.probe.batches ?? 0) >= 2) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const paused = await collectRun(
      CollectOptionsSchema.parse({
        targets,
        dataDir,
        redis: url,
        allow: ['198.18.0.0/15'],
        batchSize: 4,
        maxInFlight: 4,
        progress: 'log',
      }),
      {
        stages: {
          ...stages,
          labelHosts: async (...a) => {
            if (labelCalls++ > 0) {
              // Every later batch stays probed, not labelled, until the stop: it is in flight when the coordinator
              // stops, whatever the machine's speed (its label job fails this attempt and is retried on resume).
              if (!controller.signal.aborted) await once(controller.signal, 'abort');
              throw new Error('stopped by the test');
            }
            await twoProbed();
            return stages.labelHosts(...a);
          },
        },
        logger,
        signal: controller.signal,
        progress: first.reporter,
        onJoined: () => controller.abort(),
      },
    );
    expect(paused.status).toBe('interrupted');
    const before = first.snapshots.at(-1)!;
    // Batches probed (and labelled) but not written when the coordinator stopped: only Redis knows about them.
    expect(before.probed).toBeGreaterThan(before.stages.write.batches * 4);
    expect(await redis.hlen(runKeys(paused.runId).stages)).toBeGreaterThan(0);

    const second = recorder(redis, () => null);
    const resumed = await collectRun(CollectOptionsSchema.parse({ resume: paused.runId, dataDir, redis: url }), {
      stages: fakeStageBodies(),
      logger,
      progress: second.reporter,
    });
    expect(resumed.status).toBe('complete');
    const after = second.snapshots.filter((s) => s.phase !== 'reading targets');
    // The new coordinator starts where the old one stopped, and ends exact.
    expect(after[0]!.probed).toBeGreaterThanOrEqual(before.probed);
    expect(after[0]!.labelled).toBeGreaterThanOrEqual(before.labelled);
    expectMonotonic(after);
    expect(Math.max(...after.map((s) => s.probed))).toBe(32);
    expect(after.at(-1)).toMatchObject({ probed: 32, responsive: 16, labelled: 16, written: 16 });
    expect(await redis.exists(runKeys(paused.runId).stages)).toBe(0);
  }, 90_000);
});
