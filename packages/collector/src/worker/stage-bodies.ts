import type { LabelFields } from '@osfp/dataset';
import type { LabelTarget, NmapSlots } from '@osfp/labeler';
import type { Prober, ProberOptions } from '../probe/probe-types.ts';

export interface LabelHostsOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs: number;
  readonly processes: number;
  /** The fewest Nmap batches to split the hosts into (labelHosts' `spreadOver`). */
  readonly spreadOver?: number | undefined;
  /** The worker's Nmap processes, shared by the label batches it runs at once. */
  readonly slots?: NmapSlots | undefined;
}

/**
 * The two stage bodies a worker runs, as the pipeline sees them. The real
 * ones are the collector's prober (probe/) and @osfp/labeler; tests of the
 * orchestration substitute fakes with the same shape.
 */
export interface StageBodies {
  /** What the pipeline uses of a prober (capture statistics are for benchmarks and tests). */
  createProber(options: ProberOptions): Promise<Pick<Prober, 'syn' | 'probeBatch' | 'close'>>;
  labelHosts(targets: LabelTarget[], options: LabelHostsOptions): Promise<Map<string, LabelFields>>;
}
