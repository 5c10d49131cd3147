/**
 * dataset-export: the store's rows to Parquet and to CSV, 1M rows (goal: Parquet
 * in <= 10 s on the 2-core machine, with peak memory that does not grow with the
 * row count: measured at 100k and at 1M rows).
 *
 * Reference, same run, same rows read from the same store: the straightforward
 * JS writers — hyparquet-writer for Parquet (takes whole columns, so gathers
 * them in memory) and csv-stringify streaming for CSV. osfp uses DuckDB's own
 * writers (COPY ... TO), which stream, on one thread.
 *
 * Each step runs in its own process so that its peak RSS is its own. No
 * network: everything is local files.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { ratioOf, type BenchFigure, type Benchmark } from './benchmark.ts';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./dataset-export.main.ts', import.meta.url));
const REPO = resolve(dirname(CHILD), '../../../..');

const stepResult = z.object({ seconds: z.number(), cpuSeconds: z.number(), rows: z.number(), peakRssMb: z.number() });
type StepResult = z.infer<typeof stepResult>;

async function step(signal: AbortSignal, ...args: string[]): Promise<StepResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: REPO,
    signal,
    maxBuffer: 1 << 20,
    env: { ...process.env },
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return stepResult.parse(JSON.parse(last));
}

const rowsFromEnv = () => {
  const n = Number(process.env['OSFP_BENCH_EXPORT_ROWS'] ?? 1_000_000);
  return Number.isInteger(n) && n >= 1000 ? n : 1_000_000;
};

export const datasetExportBenchmark: Benchmark = {
  name: 'dataset-export',
  description:
    'store rows to Parquet and CSV (DuckDB COPY) vs hyparquet-writer / csv-stringify, 1M rows; peak RSS at 100k vs 1M',
  async run(signal) {
    const big = rowsFromEnv();
    const small = Math.max(1000, Math.round(big / 10));
    const dir = await mkdtemp(join(tmpdir(), 'osfp-bench-export-'));
    try {
      const smallDir = join(dir, 'small');
      const bigDir = join(dir, 'big');
      await step(signal, 'setup', smallDir, String(small));
      const smallParquet = await step(signal, 'osfp', smallDir, 'parquet', join(smallDir, 'out.parquet'));
      await rm(smallDir, { recursive: true, force: true });

      await step(signal, 'setup', bigDir, String(big));
      const parquet = await step(signal, 'osfp', bigDir, 'parquet', join(bigDir, 'osfp.parquet'));
      const csv = await step(signal, 'osfp', bigDir, 'csv', join(bigDir, 'osfp.csv'));
      await rm(join(bigDir, 'osfp.csv'), { force: true });
      const refCsv = await step(signal, 'reference', bigDir, 'csv', join(bigDir, 'ref.csv'));
      await rm(join(bigDir, 'ref.csv'), { force: true });
      const refParquet = await step(signal, 'reference', bigDir, 'parquet', join(bigDir, 'ref.parquet'));
      const sizes = `Parquet ${mb((await stat(join(bigDir, 'osfp.parquet'))).size)} MB (reference ${mb((await stat(join(bigDir, 'ref.parquet'))).size)} MB)`;
      for (const r of [parquet, csv, refCsv, refParquet]) {
        if (r.rows !== big) throw new Error(`a step wrote ${r.rows} rows instead of ${big}`);
      }
      const load = `load average ${loadavg()[0]?.toFixed(1)} on this machine`;
      const cpu = (r: StepResult) => `${r.cpuSeconds.toFixed(1)} s CPU`;
      const rowsLabel = `${big / 1e6}M rows`;
      const figures: Record<string, BenchFigure> = {
        'dataset-export-parquet': {
          value: parquet.seconds,
          reference: refParquet.seconds,
          ratio: ratioOf(parquet.seconds, refParquet.seconds, 'lower'),
          unit: 's',
          better: 'lower',
          goal: '<= 10 s',
          met: parquet.seconds <= 10,
          note: `${rowsLabel}; osfp ${cpu(parquet)}, peak RSS ${parquet.peakRssMb.toFixed(0)} MB; hyparquet-writer ${cpu(refParquet)}, peak RSS ${refParquet.peakRssMb.toFixed(0)} MB; ${sizes}; ${load}`,
        },
        'dataset-export-csv': {
          value: csv.seconds,
          reference: refCsv.seconds,
          ratio: ratioOf(csv.seconds, refCsv.seconds, 'lower'),
          unit: 's',
          better: 'lower',
          note: `${rowsLabel}; osfp ${cpu(csv)}, peak RSS ${csv.peakRssMb.toFixed(0)} MB; csv-stringify ${cpu(refCsv)}, peak RSS ${refCsv.peakRssMb.toFixed(0)} MB`,
        },
        'dataset-export-memory': {
          value: parquet.peakRssMb,
          reference: smallParquet.peakRssMb,
          ratio: parquet.peakRssMb / smallParquet.peakRssMb,
          unit: 'MB',
          better: 'lower',
          goal: `peak RSS at ${big} rows <= 1.5 x at ${small} rows`,
          met: parquet.peakRssMb <= 1.5 * smallParquet.peakRssMb,
          note: `value: peak RSS of the Parquet export at ${big} rows; reference: at ${small} rows; ratio = growth (1.0 = flat)`,
        },
      };
      return figures;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
