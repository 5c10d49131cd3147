/**
 * What the sniffer needs from a capture, wherever it runs: the in-process
 * libpcap capture (pcap-capture.ts) or the raw-socket capture process
 * (capture-process.ts).
 */
import type { AnsweredSyn, CaptureCounts } from './capture-frames.ts';

/** Where a capture hands packets over; each packet is the receiver's to keep. */
export interface CaptureDelivery {
  synAck(packet: Uint8Array, receivedAt: number, syn: AnsweredSyn | null): void;
  /** An opening SYN to a watched port. */
  watchedSyn(packet: Uint8Array, receivedAt: number): void;
}

export interface CaptureBackend {
  /** The process that reads the capture (this one, for libpcap). */
  readonly pid: number;
  /** Why the capture is gone, or null while it runs. */
  readonly failure: Error | null;
  /** Calls `then` once every packet the kernel queued before this call has been delivered (or lost). */
  readNow(then: () => void): void;
  /** Starts delivering opening SYNs sent to `port`; resolves once they are. */
  watchSyn(port: number, timeoutMs: number): Promise<void>;
  unwatchSyn(port: number): void;
  counts(): Promise<CaptureCounts>;
  close(): Promise<void>;
}

/** The one message every capture start-up failure carries: what to do first. */
export function captureStartError(detail: string): Error {
  return new Error(`SYN-ACK capture could not start (run the worker as root or with CAP_NET_RAW): ${detail}`);
}
