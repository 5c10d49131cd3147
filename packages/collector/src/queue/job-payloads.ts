import type { LabelFields, ProbeFields, ProbeStatus, SynAckFeatures, SynFeatures } from '@osfp/dataset';
import type { ProbeTarget } from '../probe/probe-types.ts';

/**
 * What travels through Redis, per batch. Kept small on purpose: addresses,
 * ports and one host name in; features and labels (a few hundred bytes a
 * host) out. Names beyond the first, Nmap XML and packet captures never enter
 * Redis: the coordinator's target index and the workers' disks keep those.
 */

/** Settings a run gives every worker, carried by each job so any worker can take any job. */
export interface RunSettings {
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly userAgent: string;
  /** Probes per second across all workers; 0 = unlimited. */
  readonly rate: number;
  readonly labelTimeoutMs: number;
  readonly labelProcesses: number;
}

export interface ProbeJobData {
  readonly runId: string;
  readonly batchNo: number;
  readonly settings: RunSettings;
  readonly targets: readonly ProbeTarget[];
}

/** One responsive host and port, as the probe stage hands it on (dates as ISO strings: this is JSON). */
export type ProbeRecord = ProbeFields &
  SynAckFeatures &
  SynFeatures & { readonly ip: string; readonly port: number; readonly probed_at: string };

export interface ProbeJobResult {
  readonly responsive: readonly ProbeRecord[];
  /** Every probe outcome counted by status, the unresponsive ones included (they make no rows). */
  readonly statusCounts: Partial<Record<ProbeStatus, number>>;
  /** A port that refused the connection, per address: Nmap's OS detection wants one closed port. */
  readonly closedPorts: Readonly<Record<string, number>>;
}

export interface LabelJobData {
  readonly runId: string;
  readonly batchNo: number;
  readonly settings: RunSettings;
  /** Addresses the coordinator wants labelled (policy and label reuse already applied). */
  readonly labelIps: readonly string[];
}

export interface LabelJobResult {
  /** The probe result, passed on: the join job sees only its direct child's value. */
  readonly probe: ProbeJobResult | null;
  readonly labels: Readonly<Record<string, LabelFields>>;
}

export interface JoinJobData {
  readonly runId: string;
  readonly batchNo: number;
}
