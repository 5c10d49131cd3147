/**
 * What the dashboard tests look at, made for real: a redis-server of the
 * test's own, collect runs through the real coordinator (fake stage bodies:
 * no network), dataset versions through the real store, and an evaluation
 * through the real evaluator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { collectRun, CollectOptionsSchema, connectRedis, type RunSummary, type StageBodies } from '@osfp/collector';
import { fakeStageBodies } from '@osfp/collector/testing';
import {
  DEFAULT_EVALUATE_OPTIONS,
  evaluateVersion,
  openStore,
  parseGroundTruth,
  resolveVersion,
  type PassiveBaseline,
} from '@osfp/dataset';
import { PROVENANCE, row, run, syntheticRows } from '@osfp/dataset/testing';
import { scratchDir } from '@osfp/test-support';
import { freePort } from './free-port.ts';

export interface TestRedis {
  readonly url: string;
  readonly client: Redis;
  stop(): Promise<void>;
}

/** A redis-server on a free port of its own, in its own directory. */
export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = await scratchDir('osfp-ui-redis-');
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = connectRedis(url, 'test');
  client.on('error', () => {}); // refused until the server listens; ioredis retries
  await client.ping();
  return {
    url,
    client,
    async stop() {
      client.disconnect();
      server.kill();
    },
  };
}

/** Runs `osfp collect` (the coordinator, in-process) on lab addresses, with fake probe and label bodies. */
export function collect(
  dataDir: string,
  redisUrl: string,
  targets: string,
  stages: StageBodies = fakeStageBodies(),
): Promise<RunSummary> {
  return collectRun(
    CollectOptionsSchema.parse({
      targets,
      dataDir,
      redis: redisUrl,
      dataset: 'lab',
      allow: ['198.18.0.0/15'],
      batchSize: 4,
      maxInFlight: 2,
      progress: 'log',
    }),
    { stages, logger: pino({ level: 'silent' }) },
  );
}

/** Stage bodies whose labelling waits until the test opens the gate: a run held with its batches probed, none written. */
export function gatedLabelling(): { stages: StageBodies; open(): void } {
  const stages = fakeStageBodies();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    stages: { ...stages, labelHosts: async (...args) => (await gate, stages.labelHosts(...args)) },
    open,
  };
}

export async function targetsFile(dir: string, name: string, lines: readonly string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** A p0f-like database that knows one personality only: enough for the comparison section to have rows. */
const passive: PassiveBaseline = {
  name: 'p0f',
  source: 'test database',
  judge: (r) =>
    r.p0f_sig.includes(':mss*10,')
      ? { kind: 'match', label: 'Linux 3.x', quality: 'exact', classes: ['Linux 3.X'], family: 'Linux' }
      : { kind: 'none' },
};

/**
 * `personalities@1`: four synthetic server personalities, evaluated (confusion
 * matrix, importance, p0f), against a ground truth that lists every host but
 * the last and says what Nmap's label says, except on the first 10 hosts.
 */
export async function evaluatedDataset(dataDir: string): Promise<void> {
  const store = await openStore(dataDir);
  const rows = syntheticRows({ perClass: [60, 40, 30, 24], labelNoise: 0.05 }).map((s, i) => ({
    ...row('pers-1', i),
    ...s,
  }));
  try {
    await store.registerRun({ ...run('pers-1', 'personalities'), provenance: PROVENANCE });
    await store.writeBatch('pers-1', '0', rows);
    await store.buildVersion('personalities', { runs: ['pers-1'] });
  } finally {
    await store.close();
  }
  const version = await resolveVersion(dataDir, 'personalities@1');
  const truth = parseGroundTruth(
    [
      'ip,fingerprint,class',
      ...rows.slice(0, -1).map((r, i) => `${r.ip},synthetic,${i < 10 ? 'Linux 5.X' : r.label}`),
    ].join('\n'),
    'lab-truth.csv',
  );
  await evaluateVersion(version.dir, { ...DEFAULT_EVALUATE_OPTIONS, trees: 8, maxDepth: 8, passive, truth });
}

/** Every file under `dir` with its size and sha256: equal before and after means nothing was written. */
export async function treeDigest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path);
    out[path.slice(dir.length)] = `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
  }
  return out;
}

/** Every key's serialized value and whether it carries a TTL. */
export type RedisSnapshot = Map<string, { value: string; expires: boolean }>;

export async function redisSnapshot(client: Redis): Promise<RedisSnapshot> {
  const out: RedisSnapshot = new Map();
  for (const key of await client.keys('*')) {
    const [value, ttl] = await Promise.all([client.dumpBuffer(key), client.pttl(key)]);
    if (value) out.set(key, { value: value.toString('base64'), expires: ttl >= 0 });
  }
  return out;
}

/**
 * What changed in Redis between two snapshots, other than keys that expired
 * on their own (a finished worker's stalled-check key lives 15 s; a TTL
 * running out is not a write by whoever was looking).
 */
export function redisWrites(before: RedisSnapshot, after: RedisSnapshot): string[] {
  const writes: string[] = [];
  for (const [key, entry] of after) {
    const old = before.get(key);
    if (!old) writes.push(`created ${key}`);
    else if (old.value !== entry.value) writes.push(`changed ${key}`);
  }
  for (const [key, entry] of before) if (!after.has(key) && !entry.expires) writes.push(`deleted ${key}`);
  return writes;
}
