/**
 * dataset-scale: the dataset commands on a store of 1M rows written the way
 * a run of a million distinct addresses writes them (one row file per batch
 * of 256 rows: ~3,900 files), against the same on 100k rows (~390 files).
 * Goal: each operation's 1M time <= 12x its 100k time (linear or better).
 *
 *   build        osfp dataset build (the first build also merges the run's batch files, timed with it;
 *                the coordinator does the same at the end of a run)
 *   show         osfp dataset show
 *   export       osfp dataset export --format csv | parquet
 *   evaluate     osfp dataset evaluate (p0f baseline when its database is installed)
 *   label reuse  what collect --label-max-age runs first: the newest ok label of every address
 *
 * Each step runs in its own process (its time and peak RSS are its own),
 * OSFP_BENCH_SCALE_REPEATS times (default 2; the fastest counts, all are in
 * the note). The build is repeated on fresh copies of the unmerged store.
 * No network: synthetic rows (distinct addresses, 13 classes, realistic
 * widths) written through the store's own bulk path.
 * OSFP_BENCH_SCALE_ROWS="100000,1000000" sets the sizes.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { BenchFigure, Benchmark } from './benchmark.ts';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./dataset-scale.main.ts', import.meta.url));
const REPO = resolve(dirname(CHILD), '../../../..');
/** Rows per batch file: the coordinator's default batch of 256 addresses, one port. */
const BATCH_ROWS = 256;
const GOAL = 12;

const stepResult = z.object({
  seconds: z.number(),
  openSeconds: z.number(),
  compactSeconds: z.number(),
  cpuSeconds: z.number(),
  rows: z.number(),
  peakRssMb: z.number(),
});
type StepResult = z.infer<typeof stepResult>;

async function step(signal: AbortSignal, ...args: string[]): Promise<StepResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: REPO,
    signal,
    maxBuffer: 1 << 20,
    env: { ...process.env },
  });
  return stepResult.parse(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''));
}

type Operation = 'build' | 'show' | 'export-csv' | 'export-parquet' | 'evaluate' | 'label-reuse';
const OPERATIONS: readonly Operation[] = ['build', 'show', 'export-csv', 'export-parquet', 'evaluate', 'label-reuse'];

/** Every operation at one size, `repeats` times each. */
async function measureSize(
  rows: number,
  dir: string,
  repeats: number,
  signal: AbortSignal,
): Promise<Record<Operation, StepResult[]>> {
  const pristine = join(dir, `store-${rows}`);
  await step(signal, 'setup', pristine, String(rows), String(BATCH_ROWS));
  const work = join(dir, `work-${rows}`);
  const results = Object.fromEntries(OPERATIONS.map((op) => [op, [] as StepResult[]])) as Record<
    Operation,
    StepResult[]
  >;
  for (let r = 0; r < repeats; r++) {
    await rm(work, { recursive: true, force: true });
    await cp(pristine, work, { recursive: true });
    results.build.push(await step(signal, 'build', work));
  }
  await rm(pristine, { recursive: true, force: true });
  const out = join(dir, 'out');
  for (let r = 0; r < repeats; r++) {
    results.show.push(await step(signal, 'show', work));
    for (const format of ['csv', 'parquet'] as const) {
      results[`export-${format}`].push(await step(signal, 'export', work, format, out));
      await rm(out, { force: true });
    }
    results['label-reuse'].push(await step(signal, 'labels', work, out));
    await rm(out, { force: true });
    results.evaluate.push(await step(signal, 'evaluate', work));
  }
  await rm(work, { recursive: true, force: true });
  return results;
}

const sizesFromEnv = (): [number, number] => {
  const [small = 0, large = 0] = (process.env['OSFP_BENCH_SCALE_ROWS'] ?? '100000,1000000').split(',').map(Number);
  if (!(Number.isInteger(small) && Number.isInteger(large) && small >= 1000 && large > small)) {
    throw new Error('OSFP_BENCH_SCALE_ROWS must be "SMALL,LARGE" with 1000 <= SMALL < LARGE');
  }
  return [small, large];
};

const repeatsFromEnv = (): number => {
  const n = Number(process.env['OSFP_BENCH_SCALE_REPEATS'] ?? 2);
  if (!Number.isInteger(n) || n < 1) throw new Error('OSFP_BENCH_SCALE_REPEATS must be a positive integer');
  return n;
};

export const datasetScaleBenchmark: Benchmark = {
  name: 'dataset-scale',
  description: `dataset build/show/export/evaluate and label reuse: 1M rows in ~3,900 batch files vs 100k rows (goal <= ${GOAL}x)`,
  async run(signal) {
    const [small, large] = sizesFromEnv();
    const repeats = repeatsFromEnv();
    const dir = await mkdtemp(join(tmpdir(), 'osfp-bench-scale-'));
    try {
      const a = await measureSize(small, dir, repeats, signal);
      const b = await measureSize(large, dir, repeats, signal);
      const figures: Record<string, BenchFigure> = {};
      const seconds = (list: readonly StepResult[]) => list.map((r) => r.seconds);
      const fmt = (values: readonly number[]) => values.map((v) => v.toFixed(2)).join(' / ');
      for (const op of OPERATIONS) {
        const value = Math.min(...seconds(b[op]));
        const reference = Math.min(...seconds(a[op]));
        const ratio = reference > 0 ? value / reference : 0;
        const last = (list: readonly StepResult[]) => list.at(-1) as StepResult;
        const merge =
          op === 'build'
            ? `; of which merging the batch files ${fmt(b.build.map((r) => r.compactSeconds))} s vs ${fmt(a.build.map((r) => r.compactSeconds))} s`
            : '';
        figures[`dataset-scale-${op}`] = {
          value,
          reference,
          ratio,
          unit: 's',
          better: 'lower',
          goal: `${large}/${small} rows <= ${GOAL}x`,
          met: ratio <= GOAL,
          note:
            `value: ${large} rows (${Math.ceil(large / BATCH_ROWS)} batch files), reference: ${small} rows ` +
            `(${Math.ceil(small / BATCH_ROWS)}); fastest of ${repeats}: ${fmt(seconds(b[op]))} s vs ${fmt(seconds(a[op]))} s${merge}; ` +
            `CPU ${last(b[op]).cpuSeconds.toFixed(1)} vs ${last(a[op]).cpuSeconds.toFixed(1)} s; ` +
            `peak RSS ${last(b[op]).peakRssMb.toFixed(0)} vs ${last(a[op]).peakRssMb.toFixed(0)} MB; ` +
            `load average ${loadavg()[0]?.toFixed(1)}`,
        };
      }
      return figures;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
