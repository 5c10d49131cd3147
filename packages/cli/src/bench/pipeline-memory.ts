/**
 * `pipeline-memory`: back-pressure holds when the targets file grows tenfold.
 * Peak Redis used_memory and peak coordinator RSS of a `collect` run over 1M
 * lab names ÷ the same over 100k (labelling off, real DNS and probes in the
 * lab's scanner namespace). Goal: both ratios < 1.2. The targets stream
 * through an on-disk index and at most --max-in-flight batches are in Redis,
 * so neither should follow the file's size.
 *
 * Lab prefix `osfpb` (OSFP_BENCH_LAB_PREFIX overrides), brought up if needed
 * and then taken down. OSFP_BENCH_PIPELINE_COUNTS="100000,1000000" sets the sizes.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labTargets, type LabPlan } from '@osfp/lab';
import type { BenchFigure, Benchmark } from './benchmark.ts';
import { runJsonInNamespace, withBenchLab } from './bench-lab.ts';

const inLabScript = fileURLToPath(new URL('./pipeline-memory-in-lab.main.ts', import.meta.url));

interface SizeReport {
  count: number;
  hosts: number;
  rows: number;
  names: number;
  peakRedis: number;
  peakRss: number;
  peakRssCollecting: number;
  seconds: number;
}

/** Streams COUNT lab names (Tranco format) to a file, a chunk at a time. */
async function writeTargets(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  let chunk: string[] = [];
  for (const line of labTargets(count, 'tranco')) {
    chunk.push(line);
    if (chunk.length === 10_000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end(chunk.length > 0 ? `${chunk.join('\n')}\n` : '');
  await once(out, 'finish');
}

async function runSize(plan: LabPlan, count: number, dir: string, signal: AbortSignal): Promise<SizeReport> {
  const targets = join(dir, `lab-${count}.csv`);
  await writeTargets(targets, count);
  const input = { count, targets, dir, dnsServer: plan.dnsServer };
  return runJsonInNamespace<SizeReport>(
    plan.scannerNamespace,
    inLabScript,
    input,
    `pipeline-memory (${count})`,
    signal,
  );
}

const mib = (bytes: number) => bytes / 2 ** 20;

export const pipelineMemoryBenchmark: Benchmark = {
  name: 'pipeline-memory',
  description: 'peak Redis used_memory and coordinator RSS, 1M vs 100k lab names (labelling off): back-pressure',
  async run(signal) {
    const [small, large] = (process.env['OSFP_BENCH_PIPELINE_COUNTS'] ?? '100000,1000000').split(',').map(Number);
    if (!small || !large || !(large > small))
      throw new Error('OSFP_BENCH_PIPELINE_COUNTS must be "SMALL,LARGE" with LARGE > SMALL');
    return withBenchLab(async (plan) => {
      const dir = await mkdtemp(join(tmpdir(), 'osfp-bench-pipeline-'));
      try {
        const a = await runSize(plan, small, dir, signal);
        const b = await runSize(plan, large, dir, signal);
        const note = `${small.toLocaleString('en-US')} names -> ${a.hosts} hosts in ${a.seconds.toFixed(0)}s; ${large.toLocaleString('en-US')} names -> ${b.hosts} hosts in ${b.seconds.toFixed(0)}s`;
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
