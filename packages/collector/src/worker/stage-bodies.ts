import type { LabelFields, ProbeFields, SynAckFeatures, SynFeatures } from '@osfp/dataset';
import type { ProbeTarget } from '../queue/job-payloads.ts';

/**
 * The two stage bodies a worker runs, as the pipeline sees them. The real
 * ones are the collector's prober (probe/) and @osfp/labeler; tests of the
 * orchestration substitute fakes with the same shape.
 */
export type ProbeOutcome = ProbeFields & {
  readonly ip: string;
  readonly port: number;
  readonly hostname: string | null;
  readonly probed_at: Date;
  /** null = no SYN-ACK captured: the host is not responsive and makes no row. */
  readonly synack: SynAckFeatures | null;
};

export interface ProberOptions {
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly userAgent: string;
}

export interface Prober {
  readonly syn: SynFeatures;
  probeBatch(targets: ProbeTarget[], signal?: AbortSignal): Promise<ProbeOutcome[]>;
  close(): Promise<void> | void;
}

export interface LabelTarget {
  readonly ip: string;
  readonly openPort: number;
  readonly closedPort?: number | undefined;
}

export interface LabelHostsOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs: number;
  readonly processes: number;
}

export interface StageBodies {
  createProber(options: ProberOptions): Promise<Prober>;
  labelHosts(targets: LabelTarget[], options: LabelHostsOptions): Promise<Map<string, LabelFields>>;
}
