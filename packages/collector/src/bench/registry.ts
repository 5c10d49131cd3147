import type { Benchmark } from './benchmark.ts';

/** Every benchmark `pnpm bench` knows, in the order they run. */
export const BENCHMARKS: readonly Benchmark[] = [];
