import type { Benchmark } from './benchmark.ts';
import { captureBenchmark } from './capture.ts';
import { datasetExportBenchmark } from './dataset-export.ts';
import { datasetScaleBenchmark } from './dataset-scale.ts';
import { emulatedBenchmark } from './emulated.ts';
import { internetBenchmark } from './internet.ts';
import { labelerBenchmark } from './labeler.ts';
import { pipelineMemoryBenchmark } from './pipeline-memory.ts';

/** Every benchmark `pnpm bench` knows, in the order they run. */
export const BENCHMARKS: readonly Benchmark[] = [
  captureBenchmark,
  emulatedBenchmark,
  labelerBenchmark,
  datasetExportBenchmark,
  datasetScaleBenchmark,
  pipelineMemoryBenchmark,
  internetBenchmark,
];
