/**
 * The prober's side of SYN-ACK capture: starts the capture process, decodes
 * its batches into the SynAckTable, and offers `claim` (a probe's own
 * SYN-ACK, with the SYN it answers) and `watchSyn` (our own SYN, seen on a
 * loopback connection).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { CaptureFrameDecoder, type CaptureCounts, type CaptureFrame } from './capture-frames.ts';
import { readSegmentHeader } from '@osfp/features';
import {
  connectionKey,
  SynAckTable,
  type CapturedPacket,
  type CapturedSynAck,
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
  /** How long the capture process may take to start (tsx compiles it first: slow on a loaded machine). */
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
 * while one wake-up per block instead of per packet saves most of the capture
 * process's CPU (docs/benchmarks.md, capture).
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
  /** Why the capture process is gone, or null while it runs: claims made after it died all miss. */
  readonly failure: Error | null;
  /** The capture process (for diagnostics and tests). */
  readonly pid: number;
  /** Starts keeping opening SYNs sent to `port` (a local listener); resolves once the capture process keeps them. */
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

type CaptureChild = ChildProcessByStdio<Writable, Readable, Readable>;

const captureScript = fileURLToPath(new URL('./capture.main.ts', import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Starts the capture process in this process's network namespace and waits until its socket is open. */
export async function startSniffer(options: SnifferOptions = {}): Promise<Sniffer> {
  const receiveBufferBytes = options.receiveBufferBytes ?? 32 * 1024 * 1024;
  const method = options.method ?? captureMethodFromEnv();
  // The capture process remembers our SYNs as long as the table keeps unclaimed SYN-ACKs.
  const synTtlMs = options.unclaimedTtlMs ?? 30_000;
  const blockMs = options.blockMs ?? captureBlockMsFromEnv();
  const child: CaptureChild = spawn(
    process.execPath,
    ['--import', tsxLoader, captureScript, method, String(receiveBufferBytes), String(synTtlMs), String(blockMs)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderrTail = '';
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`capture process did not start within ${options.startupTimeoutMs ?? 60_000} ms`)),
      options.startupTimeoutMs ?? 60_000,
    );
    const onData = (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-4_000);
      if (stderrTail.includes('osfp capture: ready')) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) =>
      fail(
        new Error(
          `SYN-ACK capture could not start (run the worker as root or with CAP_NET_RAW): ${stderrTail.trim().replace(/^osfp capture: /, '')} (exit code ${code})`,
        ),
      );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.stderr.off('data', onData);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stderr.on('data', onData);
    child.once('exit', onExit);
  });
  // Keep echoing the capture process's complaints: a dead sniffer must not go unnoticed.
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderrTail = (stderrTail + text).slice(-4_000);
    if (!text.includes('osfp capture: ready')) process.stderr.write(text);
  });

  const table = new SynAckTable({
    requestSync: (id) => send(`sync ${id}`),
    ...(options.syncTimeoutMs !== undefined && { syncTimeoutMs: options.syncTimeoutMs }),
    ...(options.unclaimedTtlMs !== undefined && { unclaimedTtlMs: options.unclaimedTtlMs }),
    ...(options.maxUnclaimed !== undefined && { maxUnclaimed: options.maxUnclaimed }),
  });
  const synWatchers = new Map<number, CapturedPacket[]>();
  const synWaiters = new Map<number, (captured: CapturedPacket) => void>();
  const watchingWaiters = new Map<number, () => void>();
  const statsWaiters: ((frame: Extract<CaptureFrame, { kind: 'stats' }>) => void)[] = [];
  // The capture process's counters as last reported: what a stats request still waiting when it exits gets.
  let lastCounts: CaptureCounts = {
    packetsRead: 0,
    synAcksForwarded: 0,
    readErrors: 0,
    foreignSynAcks: 0,
    retransmittedSyns: 0,
    cpuMs: 0,
  };
  const decoder = new CaptureFrameDecoder();

  function send(line: string): void {
    if (!exited && child.stdin.writable) child.stdin.write(`${line}\n`);
  }

  child.stdout.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (frame.kind === 'synack') {
        const header = readSegmentHeader(frame.packet);
        if (header) {
          table.offer(connectionKey(header.src, header.srcPort, header.dstPort), {
            packet: frame.packet,
            receivedAt: frame.receivedAt,
            ack: header.ack,
            syn: frame.syn,
          });
        }
      } else if (frame.kind === 'syn') {
        const header = readSegmentHeader(frame.packet);
        if (!header) continue;
        const waiter = synWaiters.get(header.dstPort);
        if (waiter) {
          synWaiters.delete(header.dstPort);
          waiter(frame);
        } else {
          synWatchers.get(header.dstPort)?.push(frame);
        }
      } else if (frame.kind === 'synced') {
        table.synced(frame.id);
      } else if (frame.kind === 'watching') {
        watchingWaiters.get(frame.port)?.();
        watchingWaiters.delete(frame.port);
      } else if (frame.kind === 'stats') {
        const { kind: _kind, ...counts } = frame;
        lastCounts = counts;
        statsWaiters.shift()?.(frame);
      }
    }
  });
  let failure: Error | null = null;
  let closing = false;
  child.once('exit', (code, signal) => {
    if (!closing)
      failure = new Error(
        `SYN-ACK capture process ended (code ${code}, signal ${signal}): ${stderrTail.trim().slice(-500)}`,
      );
    table.close();
    for (const waiter of statsWaiters.splice(0)) waiter({ kind: 'stats', ...lastCounts });
  });

  return {
    claim(remoteIp, remotePort, localPort, connectStartedAt) {
      // The capture process's clock and ours are the same system clock read by
      // two processes; the margin only has to cover that, not a network delay.
      const notBefore = connectStartedAt === undefined ? -Infinity : connectStartedAt - CLOCK_MARGIN_MS;
      return table.claim(connectionKey(remoteIp, remotePort, localPort), notBefore);
    },
    get failure() {
      return failure;
    },
    pid: child.pid!,
    async watchSyn(port, timeoutMs = 5_000) {
      synWatchers.set(port, []);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          watchingWaiters.delete(port);
          reject(new Error(`capture process did not confirm watching port ${port} within ${timeoutMs} ms`));
        }, timeoutMs);
        watchingWaiters.set(port, () => {
          clearTimeout(timer);
          resolve();
        });
        send(`watch-syn ${port}`);
      });
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
          send(`unwatch-syn ${port}`);
        },
      };
    },
    async stats() {
      const tableStats = table.stats();
      if (exited) return { method, ...lastCounts, table: tableStats };
      await new Promise<Extract<CaptureFrame, { kind: 'stats' }>>((resolve) => {
        statsWaiters.push(resolve);
        send('stats');
      });
      return { method, ...lastCounts, table: table.stats() };
    },
    async close() {
      closing = true;
      table.close();
      if (!exited) {
        child.stdin.end();
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 2_000);
        await exitPromise;
        clearTimeout(killTimer);
      }
    },
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
