/**
 * `pipeline-memory`: back-pressure holds when a run grows tenfold. Peak Redis
 * used_memory and peak coordinator RSS of a `collect` run that writes 1M
 * distinct (address, port) rows ÷ the same for 100k rows (labelling off,
 * real DNS and probes in the lab's scanner namespace). Goal: both ratios
 * < 1.2. The targets stream through an on-disk index, at most --max-in-flight
 * batches are in Redis, and the store writes each batch to its own file and
 * merges them at the end, so neither should follow the run's size.
 *
 * The lab's kernel personalities answer on 65,528 addresses, so each of their
 * hosts is probed on the 16 ports its target server listens on
 * (TARGET_HTTP_PORTS): 62,500 hosts make 1M rows, 6,250 make 100k. Emulated
 * hosts answer on 80 and 443 only, so they are left out of the targets. The
 * targets are the lab names of those hosts (1 to 3 per host, as on the web),
 * so DNS and the names column are exercised too.
 *
 * Lab prefix `osfpb` (OSFP_BENCH_LAB_PREFIX overrides), brought up if needed
 * and then taken down. OSFP_BENCH_PIPELINE_COUNTS="100000,1000000" sets the
 * sizes, in rows.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  labNameAddress,
  labTargets,
  MAX_NAMES,
  HOSTS_PER_PERSONALITY,
  PERSONALITIES,
  TARGET_HTTP_PORTS,
  whoAnswers,
  type LabPlan,
} from '@osfp/lab';
import type { BenchFigure, Benchmark } from './benchmark.ts';
import { runJsonInNamespace, withBenchLab } from './bench-lab.ts';

const inLabScript = fileURLToPath(new URL('./pipeline-memory-in-lab.main.ts', import.meta.url));

interface SizeReport {
  /** Rows asked for. */
  count: number;
  hosts: number;
  rows: number;
  names: number;
  peakRedis: number;
  peakRss: number;
  peakRssCollecting: number;
  /** Where the RSS is, while collecting: V8's heap (used) and memory held for JavaScript outside it (buffers). */
  peakHeapUsed: number;
  peakExternal: number;
  seconds: number;
}

/** A host of a kernel personality: its target server answers on every port of TARGET_HTTP_PORTS. */
const isKernelHost = (address: string): boolean => {
  const who = whoAnswers(address);
  return who !== null && 'personality' in who;
};

/**
 * Streams the lab names (Tranco format) of the first `hosts` kernel-personality
 * hosts to a file, a chunk at a time: every name of those hosts the lab's list
 * gives before it reaches a further host.
 */
async function writeTargets(path: string, hosts: number): Promise<void> {
  const out = createWriteStream(path);
  const seen = new Set<string>();
  let chunk: string[] = [];
  for (const line of labTargets(MAX_NAMES, 'tranco')) {
    const address = labNameAddress(line.slice(line.indexOf(',') + 1));
    if (address === null || !isKernelHost(address)) continue;
    if (!seen.has(address)) {
      if (seen.size === hosts) break;
      seen.add(address);
    }
    chunk.push(line);
    if (chunk.length === 10_000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end(chunk.length > 0 ? `${chunk.join('\n')}\n` : '');
  await once(out, 'finish');
}

/** The glibc arena cap the coordinator runs with (as package.json and the Dockerfile set it); MALLOC_ARENA_MAX measures another. */
const ARENA_MAX = process.env['MALLOC_ARENA_MAX'] ?? '2';

async function runSize(plan: LabPlan, count: number, dir: string, signal: AbortSignal): Promise<SizeReport> {
  const targets = join(dir, `lab-${count}.csv`);
  const hosts = Math.ceil(count / TARGET_HTTP_PORTS.length);
  const kernelHosts = PERSONALITIES.length * HOSTS_PER_PERSONALITY;
  if (hosts > kernelHosts) {
    throw new Error(
      `pipeline-memory: ${count} rows need ${hosts} hosts x ${TARGET_HTTP_PORTS.length} ports; the lab's kernel personalities have ${kernelHosts}`,
    );
  }
  await writeTargets(targets, hosts);
  const input = { count, targets, dir, dnsServer: plan.dnsServer, ports: TARGET_HTTP_PORTS };
  return runJsonInNamespace<SizeReport>(
    plan.scannerNamespace,
    inLabScript,
    input,
    `pipeline-memory (${count})`,
    signal,
    // As `pnpm collect` and the container run the coordinator (package.json, Dockerfile).
    { ...process.env, MALLOC_ARENA_MAX: ARENA_MAX },
  );
}

const mib = (bytes: number) => bytes / 2 ** 20;

export const pipelineMemoryBenchmark: Benchmark = {
  name: 'pipeline-memory',
  description:
    'peak Redis used_memory and coordinator RSS, 1M vs 100k distinct (address, port) rows (labelling off): back-pressure',
  async run(signal) {
    const [small, large] = (process.env['OSFP_BENCH_PIPELINE_COUNTS'] ?? '100000,1000000').split(',').map(Number);
    if (!small || !large || !(large > small))
      throw new Error('OSFP_BENCH_PIPELINE_COUNTS must be "SMALL,LARGE" with LARGE > SMALL');
    return withBenchLab(async (plan) => {
      const dir = await mkdtemp(join(tmpdir(), 'osfp-bench-pipeline-'));
      try {
        const a = await runSize(plan, small, dir, signal);
        const b = await runSize(plan, large, dir, signal);
        const size = (r: SizeReport) =>
          `${r.rows.toLocaleString('en-US')} rows (${r.hosts.toLocaleString('en-US')} hosts x ${TARGET_HTTP_PORTS.length} ports, ${r.names.toLocaleString('en-US')} names) in ${r.seconds.toFixed(0)} s`;
        const split = (r: SizeReport) =>
          `${r.count.toLocaleString('en-US')}: JS heap used ${mib(r.peakHeapUsed).toFixed(0)} MiB, external ${mib(r.peakExternal).toFixed(0)} MiB at most while collecting`;
        const allocator = `; MALLOC_ARENA_MAX=${ARENA_MAX}`;
        const note = `${size(a)}; ${size(b)}; ${split(a)}; ${split(b)}${allocator}`;
        const figure = (value: number, reference: number): BenchFigure => {
          const ratio = value / reference;
          return {
            value: mib(value),
            reference: mib(reference),
            ratio,
            unit: 'MiB',
            better: 'lower',
            goal: `${large}/${small} peak < 1.2x`,
            met: ratio < 1.2,
            note,
          };
        };
        return {
          'pipeline-redis-peak': figure(b.peakRedis, a.peakRedis),
          'pipeline-coordinator-rss-peak': figure(b.peakRss, a.peakRss),
          // The same until the last batch is written: the pipeline without the store's version build.
          'pipeline-coordinator-rss-collecting': figure(b.peakRssCollecting, a.peakRssCollecting),
        };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
};
