import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { FEATURE_SCHEMA_VERSION, openStore } from '@osfp/dataset';
import { NmapSlots } from '@osfp/labeler';
import { describe, expect, it } from 'vitest';
import { needs, scratchDir } from '@osfp/test-support';
import { CollectOptionsSchema } from '../src/config/collect-options.ts';
import { collectRun } from '../src/coordinator/collect-run.ts';
import { MIN_LABEL_BATCHES } from '../src/worker/worker-node.ts';
import { fakeStageBodies } from '../testing/index.ts';

const logger = pino({ level: 'silent' });

async function rowsOf(
  parquet: string,
): Promise<{ ip: string; port: number; domains: string[]; label_status: string; label: string | null }[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(
    `SELECT ip, port, domains, label_status, label FROM read_parquet('${parquet}') ORDER BY ip`,
  );
  const rows = reader.getRowObjectsJS() as unknown as {
    ip: string;
    port: number;
    domains: string[];
    label_status: string;
    label: string | null;
  }[];
  conn.closeSync();
  db.closeSync();
  return rows;
}

describe.skipIf(needs('redis-server'))('collectRun with fake stage bodies (embedded redis, real store)', () => {
  it('probes every admitted address once, writes every responsive one once, builds a version', async () => {
    const dir = await scratchDir('osfp-collect-');
    const targets = join(dir, 'lab-list.txt');
    const lines = ['# lab addresses', '198.18.5.0/28', '198.18.5.1', '10.0.0.1', '198.18.9.9', 'garbage line!'];
    await writeFile(targets, lines.join('\n'));
    await writeFile(join(dir, 'optout.txt'), '198.18.9.0/24\n');
    const probed: string[] = [];
    const options = CollectOptionsSchema.parse({
      targets,
      dataDir: join(dir, 'data'),
      allow: ['198.18.0.0/15'],
      exclude: [join(dir, 'optout.txt')],
      batchSize: 3,
      maxInFlight: 2,
      progress: 'log',
    });
    const summary = await collectRun(options, { stages: fakeStageBodies({ probed }), logger });

    expect(summary.status).toBe('complete');
    expect(summary.ingest).toMatchObject({
      malformed: 1,
      excluded: 2,
      excludedByReason: { 'special-purpose': 1, 'exclude-file': 1 },
    });
    expect(summary.hosts).toBe(16);
    expect(summary.batches).toBe(6);
    expect(probed.sort()).toEqual(Array.from({ length: 16 }, (_, i) => `198.18.5.${i}:80`).sort());
    expect(summary.rows).toBe(8);
    expect(summary.probeStatus).toEqual({ success: 8, refused: 8 });
    expect(summary.labelStatus).toEqual({ ok: 8 });
    expect(summary.version?.dataset).toBe('lab-list');
    expect(summary.version?.version).toBe(1);
    const rows = await rowsOf(join(summary.version!.path, 'data.parquet'));
    expect(rows.map((r) => r.ip)).toEqual([
      '198.18.5.1',
      '198.18.5.11',
      '198.18.5.13',
      '198.18.5.15',
      '198.18.5.3',
      '198.18.5.5',
      '198.18.5.7',
      '198.18.5.9',
    ]);
    expect(new Set(rows.map((r) => r.label))).toEqual(new Set(['Linux 4.X', 'FreeBSD 12.X']));
    // The run keeps its provenance, so `osfp dataset build --from RUN` can give a later version the same.
    const store = await openStore(options.dataDir);
    try {
      const run = await store.getRun(summary.runId);
      expect(run?.provenance).toMatchObject({ toolVersion: '0.1.0', featureSchemaVersion: FEATURE_SCHEMA_VERSION });
      expect(run?.provenance?.taxonomyVersion).toBeTruthy();
    } finally {
      await store.close();
    }
  }, 60_000);

  it('keeps every name of an address, labels none with --label none, and reuses labels with --label-max-age', async () => {
    const dir = await scratchDir('osfp-collect-');
    const targets = join(dir, 'web.txt');
    await writeFile(targets, '198.18.6.1\n198.18.6.3\n198.18.6.3\n');
    const base = { targets, dataDir: join(dir, 'data'), allow: ['198.18.0.0/15'], progress: 'log' };
    const first = await collectRun(CollectOptionsSchema.parse(base), { stages: fakeStageBodies(), logger });
    expect(first.rows).toBe(2);

    const none = await collectRun(CollectOptionsSchema.parse({ ...base, label: 'none' }), {
      stages: fakeStageBodies(),
      logger,
    });
    expect(none.labelStatus).toEqual({ skipped: 2 });
    expect(none.version?.version).toBe(2);

    let nmapCalls = 0;
    const stages = fakeStageBodies();
    const counting = {
      ...stages,
      labelHosts: (...args: Parameters<typeof stages.labelHosts>) => (
        (nmapCalls += args[0].length),
        stages.labelHosts(...args)
      ),
    };
    const reuse = await collectRun(CollectOptionsSchema.parse({ ...base, labelMaxAge: '1d' }), {
      stages: counting,
      logger,
    });
    expect(nmapCalls).toBe(0);
    expect(reuse.labelsReused).toBe(2);
    expect(reuse.labelStatus).toEqual({ ok: 2 });
  }, 60_000);

  it('labels several batches at once through one set of Nmap slots, each split for its share', async () => {
    const dir = await scratchDir('osfp-collect-');
    const targets = join(dir, 'lab.txt');
    await writeFile(targets, '198.18.7.0/29\n');
    const stages = fakeStageBodies();
    let running = 0;
    let most = 0;
    const slotsSeen = new Set<unknown>();
    const spreads = new Set<number | undefined>();
    const overlapping = {
      ...stages,
      labelHosts: async (...args: Parameters<typeof stages.labelHosts>) => {
        slotsSeen.add(args[1].slots);
        spreads.add(args[1].spreadOver);
        most = Math.max(most, ++running);
        // Long enough for the next batch's label job to start beside this one.
        await new Promise((resolve) => setTimeout(resolve, 300));
        running--;
        return stages.labelHosts(...args);
      },
    };
    const options = CollectOptionsSchema.parse({
      targets,
      dataDir: join(dir, 'data'),
      allow: ['198.18.0.0/15'],
      batchSize: 2,
      maxInFlight: 4,
      labelProcesses: 3,
      progress: 'log',
    });
    const summary = await collectRun(options, { stages: overlapping, logger });
    expect(summary.status).toBe('complete');
    expect(summary.labelStatus).toEqual({ ok: 4 });
    expect(most).toBeGreaterThanOrEqual(2);
    expect(slotsSeen.size).toBe(1);
    // 3 processes over the MIN_LABEL_BATCHES (3) batches labelled at once: each batch's share is one.
    expect([...spreads]).toEqual([Math.ceil(3 / MIN_LABEL_BATCHES)]);
    const [slots] = slotsSeen;
    expect(slots).toBeInstanceOf(NmapSlots);
    expect((slots as NmapSlots).processes).toBe(3);
  }, 60_000);

  it('stops cleanly on a shutdown signal and --resume finishes the run, every row once', async () => {
    const dir = await scratchDir('osfp-collect-');
    const targets = join(dir, 'paused.txt');
    await writeFile(targets, '198.18.7.0/27\n');
    const dataDir = join(dir, 'data');
    const controller = new AbortController();
    const first = await collectRun(
      CollectOptionsSchema.parse({
        targets,
        dataDir,
        allow: ['198.18.0.0/15'],
        batchSize: 2,
        maxInFlight: 2,
        progress: 'log',
      }),
      {
        stages: fakeStageBodies({ probeDelayMs: 100 }),
        logger,
        signal: controller.signal,
        onJoined: () => controller.abort(),
      },
    );
    expect(first.status).toBe('interrupted');
    expect(first.version).toBeNull();
    expect(first.batchesJoined).toBeLessThan(16);

    const resumed = await collectRun(CollectOptionsSchema.parse({ resume: first.runId, dataDir, progress: 'log' }), {
      stages: fakeStageBodies(),
      logger,
    });
    expect(resumed.status).toBe('complete');
    expect(resumed.batchesJoined).toBe(16);
    const rows = await rowsOf(join(resumed.version!.path, 'data.parquet'));
    expect(rows.map((r) => r.ip).sort()).toEqual(Array.from({ length: 16 }, (_, i) => `198.18.7.${2 * i + 1}`).sort());
  }, 60_000);

  it('stops with a clear error when a batch cannot be written, keeps what was written, and --resume finishes', async () => {
    const dir = await scratchDir('osfp-collect-');
    const targets = join(dir, 'broken.txt');
    await writeFile(targets, '198.18.8.0/29\n');
    const dataDir = join(dir, 'data');
    // One host's label breaks the record schema (label_status is NOT NULL): its batch cannot be written.
    const stages = fakeStageBodies();
    const broken = {
      ...stages,
      labelHosts: async (...args: Parameters<typeof stages.labelHosts>) => {
        const labels = await stages.labelHosts(...args);
        const bad = labels.get('198.18.8.5');
        if (bad) labels.set('198.18.8.5', { ...bad, label_status: null as unknown as 'ok' });
        return labels;
      },
    };
    const first = await collectRun(
      CollectOptionsSchema.parse({
        targets,
        dataDir,
        allow: ['198.18.0.0/15'],
        batchSize: 2,
        maxInFlight: 4,
        progress: 'log',
      }),
      { stages: broken, logger },
    );
    expect(first.status).toBe('failed');
    expect(first.error).toMatch(/writing batch 2 failed 3 times: .*label_status/);
    expect(first.version).toBeNull();
    expect(first.batchesJoined).toBe(3);

    const resumed = await collectRun(CollectOptionsSchema.parse({ resume: first.runId, dataDir, progress: 'log' }), {
      stages: fakeStageBodies(),
      logger,
    });
    expect(resumed.status).toBe('complete');
    const rows = await rowsOf(join(resumed.version!.path, 'data.parquet'));
    expect(rows.map((r) => r.ip).sort()).toEqual(['198.18.8.1', '198.18.8.3', '198.18.8.5', '198.18.8.7']);
  }, 60_000);
});
