import type { BenchFigure, Benchmark } from './benchmark.ts';
import { BENCHMARKS } from './registry.ts';

export interface BenchOptions {
  readonly only?: string | undefined;
  readonly json?: boolean | undefined;
  readonly out?: NodeJS.WritableStream;
}

/** Runs the selected benchmarks and prints their figures; returns the process exit code. */
export async function runBenchmarks(
  options: BenchOptions,
  benchmarks: readonly Benchmark[] = BENCHMARKS,
): Promise<number> {
  const out = options.out ?? process.stdout;
  const selected = options.only ? benchmarks.filter((b) => b.name === options.only) : benchmarks;
  if (selected.length === 0) {
    const known = benchmarks.map((b) => b.name).join(', ') || '(none yet)';
    process.stderr.write(`osfp bench: no benchmark named "${options.only ?? ''}"; known: ${known}\n`);
    return 2;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  const results: Record<string, BenchFigure> = {};
  let failed = false;
  try {
    for (const benchmark of selected) {
      if (!options.json) out.write(`\n${benchmark.name}: ${benchmark.description}\n`);
      try {
        const figures = await benchmark.run(controller.signal);
        for (const [name, figure] of Object.entries(figures)) {
          results[name] = figure;
          if (!options.json) out.write(formatFigure(name, figure));
        }
      } catch (error) {
        failed = true;
        process.stderr.write(
          `osfp bench: ${benchmark.name} failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
  if (options.json) out.write(`${JSON.stringify(results, null, 2)}\n`);
  return failed ? 1 : 0;
}

function formatFigure(name: string, f: BenchFigure): string {
  const num = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
  const verdict = f.met === undefined ? '' : f.met ? '  goal met' : '  GOAL MISSED';
  const goal = f.goal ? ` (goal ${f.goal})` : '';
  const note = f.note ? `\n    ${f.note}` : '';
  return `  ${name.padEnd(30)} ${num(f.value)} ${f.unit} vs reference ${num(f.reference)} ${f.unit}  ratio ${f.ratio.toFixed(2)}${goal}${verdict}${note}\n`;
}
