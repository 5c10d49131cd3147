/**
 * The prober's side of SYN-ACK capture: runs the capture (libpcap in this
 * process, or the raw socket in a process of its own), keeps the SYN-ACKs it
 * delivers in the SynAckTable, and offers `claim` (a probe's own SYN-ACK,
 * with the SYN it answers) and `watchSyn` (our own SYN, seen on a loopback
 * connection).
 */
import { describeSyn, extractSynAck, readSegmentHeader } from '@osfp/features';
import type { CaptureBackend } from './capture-backend.ts';
import type { CaptureCounts } from './capture-frames.ts';
import { startCaptureProcess } from './capture-process.ts';
import { openPcapCapture } from './pcap-capture.ts';
import {
  connectionKey,
  SynAckTable,
  type CapturedPacket,
  type CapturedSynAck,
  type PairColumns,
  type SynAckTableStats,
} from './synack-table.ts';

/**
 * `pcap`: libpcap with a kernel BPF filter, IPv4 and IPv6, our SYNs seen (the
 * default). `raw-socket`: the earlier inbound-only IPv4 raw socket, kept for
 * comparison (OSFP_CAPTURE_METHOD=raw-socket).
 */
export type CaptureMethod = 'pcap' | 'raw-socket';

export interface SnifferOptions {
  readonly method?: CaptureMethod;
  /** Kernel buffer of the capture (libpcap's ring or the raw socket's queue); bursts beyond it are lost. */
  readonly receiveBufferBytes?: number;
  readonly syncTimeoutMs?: number;
  readonly unclaimedTtlMs?: number;
  readonly maxUnclaimed?: number;
  /** raw-socket only: how long its capture process may take to start (tsx compiles it first: slow on a loaded machine). */
  readonly startupTimeoutMs?: number;
  /**
   * libpcap only: the kernel hands packets over a block at a time, at the
   * latest this many ms after a block's first packet (0: every packet at
   * once, one wake-up each). See DEFAULT_CAPTURE_BLOCK_MS.
   */
  readonly blockMs?: number;
}

/**
 * A probe claims its SYN-ACK after its HTTP exchange, which under load takes
 * far longer than this; so a few ms of delivery delay cost no probe any time,
 * while one wake-up per block instead of per packet saves most of the capture's
 * CPU (docs/benchmarks.md, capture).
 */
export const DEFAULT_CAPTURE_BLOCK_MS = 10;

export interface CaptureStats extends CaptureCounts {
  readonly method: CaptureMethod;
  table: SynAckTableStats;
}

export interface Sniffer {
  /**
   * The SYN-ACK that opened connection (remoteIp, remotePort, localPort), whose
   * connect() was called at `connectStartedAt` (epoch ms); null when it was not captured.
   */
  claim(
    remoteIp: string,
    remotePort: number,
    localPort: number,
    connectStartedAt?: number,
  ): Promise<CapturedSynAck | null>;
  /** Why the capture is gone (the raw socket's process died), or null while it runs: claims made after that all miss. */
  readonly failure: Error | null;
  /** The process that reads the capture: this one for libpcap, a child for the raw socket (diagnostics, tests). */
  readonly pid: number;
  /** Starts keeping opening SYNs sent to `port` (a local listener); resolves once the capture keeps them. */
  watchSyn(port: number, timeoutMs?: number): Promise<SynWatch>;
  stats(): Promise<CaptureStats>;
  close(): Promise<void>;
}

export interface SynWatch {
  /** The next SYN sent to the watched port, or null after `timeoutMs`. */
  next(timeoutMs: number): Promise<CapturedPacket | null>;
  stop(): void;
}

const CLOCK_MARGIN_MS = 250;

/** Starts the capture in this process's network namespace and waits until it is open. */
export async function startSniffer(options: SnifferOptions = {}): Promise<Sniffer> {
  const receiveBufferBytes = options.receiveBufferBytes ?? 32 * 1024 * 1024;
  const method = options.method ?? captureMethodFromEnv();
  // Our SYNs are remembered as long as the table keeps unclaimed SYN-ACKs.
  const synTtlMs = options.unclaimedTtlMs ?? 30_000;
  const blockMs = options.blockMs ?? captureBlockMsFromEnv();
  const synWatchers = new Map<number, CapturedPacket[]>();
  const synWaiters = new Map<number, (captured: CapturedPacket) => void>();
  let backend: CaptureBackend | null = null;

  const table = new SynAckTable({
    requestSync: (id) => (backend ? backend.readNow(() => table.synced(id)) : table.synced(id)),
    ...(options.syncTimeoutMs !== undefined && { syncTimeoutMs: options.syncTimeoutMs }),
    ...(options.unclaimedTtlMs !== undefined && { unclaimedTtlMs: options.unclaimedTtlMs }),
    ...(options.maxUnclaimed !== undefined && { maxUnclaimed: options.maxUnclaimed }),
  });
  const delivery = {
    synAck(packet: Uint8Array, receivedAt: number, syn: CapturedSynAck['syn']) {
      const header = readSegmentHeader(packet);
      if (!header) return;
      // One shape for every offer (a conditional spread made two, and cost a copy).
      table.offer(connectionKey(header.src, header.srcPort, header.dstPort), {
        packet,
        receivedAt,
        ack: header.ack,
        syn,
        columns: syn ? (pairColumns(packet, syn.packet) ?? undefined) : undefined,
      });
    },
    watchedSyn(packet: Uint8Array, receivedAt: number) {
      const header = readSegmentHeader(packet);
      if (!header) return;
      const waiter = synWaiters.get(header.dstPort);
      if (waiter) {
        synWaiters.delete(header.dstPort);
        waiter({ packet, receivedAt });
      } else {
        synWatchers.get(header.dstPort)?.push({ packet, receivedAt });
      }
    },
  };
  const capture: CaptureBackend =
    method === 'pcap'
      ? await openPcapCapture({ receiveBufferBytes, synTtlMs, blockMs }, delivery)
      : await startCaptureProcess(
          { receiveBufferBytes, startupTimeoutMs: options.startupTimeoutMs ?? 60_000 },
          delivery,
          // Claims made after it died all miss.
          () => table.close(),
        );
  backend = capture;

  return {
    claim(remoteIp, remotePort, localPort, connectStartedAt) {
      // The capture's clock and ours are the same system clock; the margin
      // only has to cover reading it at two moments, not a network delay.
      const notBefore = connectStartedAt === undefined ? -Infinity : connectStartedAt - CLOCK_MARGIN_MS;
      return table.claim(connectionKey(remoteIp, remotePort, localPort), notBefore);
    },
    get failure() {
      return capture.failure;
    },
    pid: capture.pid,
    async watchSyn(port, timeoutMs = 5_000) {
      synWatchers.set(port, []);
      await capture.watchSyn(port, timeoutMs);
      return {
        next(timeoutMs) {
          const seen = synWatchers.get(port)?.shift();
          if (seen) return Promise.resolve(seen);
          return new Promise((resolve) => {
            const timer = setTimeout(() => {
              synWaiters.delete(port);
              resolve(null);
            }, timeoutMs);
            synWaiters.set(port, (captured) => {
              clearTimeout(timer);
              resolve(captured);
            });
          });
        },
        stop() {
          synWatchers.delete(port);
          capture.unwatchSyn(port);
        },
      };
    },
    async stats() {
      const counts: CaptureCounts = await capture.counts();
      return { method, ...counts, table: table.stats() };
    },
    async close() {
      table.close();
      await capture.close();
    },
  };
}

/**
 * A paired SYN-ACK's columns and its SYN's, extracted as it is delivered:
 * deliveries come a kernel block at a time, and extraction in that tight
 * loop runs on warm code, where the same calls spread over the probes' own
 * turns of the event loop cost several times more (docs/benchmarks.md,
 * capture). Null when the SYN does not parse: the prober then extracts
 * against the SYN it learned at start-up.
 */
function pairColumns(synack: Uint8Array, syn: Uint8Array): PairColumns | null {
  const described = describeSyn(syn);
  if (!described.ok) return null;
  const extracted = extractSynAck(synack, described.raw);
  return {
    synack: extracted.ok ? extracted.features : null,
    syn: { syn_olayout: described.syn_olayout, syn_mss: described.syn_mss },
  };
}

/** OSFP_CAPTURE_METHOD=raw-socket selects the earlier capture (benchmarks, comparisons); anything else is pcap. */
export function captureMethodFromEnv(env: NodeJS.ProcessEnv = process.env): CaptureMethod {
  return env['OSFP_CAPTURE_METHOD'] === 'raw-socket' ? 'raw-socket' : 'pcap';
}

/** OSFP_CAPTURE_BLOCK_MS overrides the block time (0 = immediate delivery), for measurements. */
export function captureBlockMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env['OSFP_CAPTURE_BLOCK_MS'];
  if (text === undefined || text === '') return DEFAULT_CAPTURE_BLOCK_MS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 1000) {
    throw new Error(`OSFP_CAPTURE_BLOCK_MS=${text}: expected whole milliseconds from 0 to 1000`);
  }
  return value;
}
