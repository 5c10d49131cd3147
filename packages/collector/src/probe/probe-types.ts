import type { ProbeFields, SynAckFeatures, SynFeatures } from '@osfp/dataset';
import type { CaptureMethod, CaptureStats } from '../sniffer/sniffer.ts';

/** One (address, port) to probe; `hostname` goes into Host and SNI. Only addresses, never names to resolve. */
export interface ProbeTarget {
  readonly ip: string;
  readonly port: number;
  readonly hostname?: string | undefined;
}

/** What probing one target gave: the probe columns, and the SYN-ACK's features when it was captured. */
export type ProbeOutcome = ProbeFields & {
  readonly ip: string;
  readonly port: number;
  readonly hostname: string | null;
  readonly probed_at: Date;
  /** null = no SYN-ACK captured: the host is not responsive and makes no row. */
  readonly synack: SynAckFeatures | null;
  /** The SYN the SYN-ACK answers, as captured; the worker's start-up SYN when it was not. */
  readonly syn: SynFeatures;
};

export interface ProberOptions {
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly userAgent: string;
  readonly bodyCapBytes?: number;
  /** Write every captured SYN-ACK (after its reconstructed SYN) to this pcap file. */
  readonly archivePcap?: string | null;
  readonly signal?: AbortSignal;
  /** An address whose route the probes take, to learn the SYN's MSS (default: the default route, else the first interface). */
  readonly routeTowards?: string | undefined;
  /** Kernel buffer of the capture (default 32 MiB). */
  readonly captureBufferBytes?: number;
  /** How SYN-ACKs are captured (default: OSFP_CAPTURE_METHOD, else pcap). */
  readonly captureMethod?: CaptureMethod;
}

/** Probes batches of targets, each handed its own SYN-ACK; one per worker and run settings. */
export interface Prober {
  /** The worker stack's own SYN, learned at start-up. */
  readonly syn: SynFeatures;
  /** One outcome per target, in input order; rejects only when aborted or closed, never for a target's failure. */
  probeBatch(targets: readonly ProbeTarget[], signal?: AbortSignal): Promise<ProbeOutcome[]>;
  /** Capture counters (packets read, matched, missed, ...). */
  captureStats(): Promise<CaptureStats>;
  close(): Promise<void>;
}
