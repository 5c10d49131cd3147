/**
 * The raw-socket capture in a process of its own (capture.main.ts): starts
 * it in this process's network namespace, decodes its frames and hands the
 * packets over; syncs, SYN watches and counters are requests on its stdin.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { captureStartError, type CaptureBackend, type CaptureDelivery } from './capture-backend.ts';
import { CaptureFrameDecoder, type CaptureCounts } from './capture-frames.ts';

type CaptureChild = ChildProcessByStdio<Writable, Readable, Readable>;

const captureScript = fileURLToPath(new URL('./capture.main.ts', import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface CaptureProcessOptions {
  readonly receiveBufferBytes: number;
  /** How long the process may take to start (tsx compiles it first: slow on a loaded machine). */
  readonly startupTimeoutMs: number;
}

/** Starts the capture process and waits until its socket is open. `onExit` is told if it ends before close(). */
export async function startCaptureProcess(
  options: CaptureProcessOptions,
  delivery: CaptureDelivery,
  onExit: (failure: Error) => void,
): Promise<CaptureBackend> {
  const child: CaptureChild = spawn(
    process.execPath,
    ['--import', tsxLoader, captureScript, String(options.receiveBufferBytes)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
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
      () => fail(new Error(`capture process did not start within ${options.startupTimeoutMs} ms`)),
      options.startupTimeoutMs,
    );
    const onData = (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-4_000);
      if (stderrTail.includes('osfp capture: ready')) {
        clearTimeout(timer);
        child.off('exit', onStartExit);
        resolve();
      }
    };
    const onStartExit = (code: number | null) =>
      fail(captureStartError(`${stderrTail.trim().replace(/^osfp capture: /, '')} (exit code ${code})`));
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.stderr.off('data', onData);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stderr.on('data', onData);
    child.once('exit', onStartExit);
  });
  // Keep echoing the capture process's complaints: a dead capture must not go unnoticed.
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderrTail = (stderrTail + text).slice(-4_000);
    if (!text.includes('osfp capture: ready')) process.stderr.write(text);
  });

  const syncWaiters = new Map<number, () => void>();
  let lastSyncId = 0;
  const watchingWaiters = new Map<number, () => void>();
  const countsWaiters: ((counts: CaptureCounts) => void)[] = [];
  // The counters as last reported: what a request still waiting when the process exits gets.
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
        delivery.synAck(frame.packet, frame.receivedAt, frame.syn);
      } else if (frame.kind === 'syn') {
        delivery.watchedSyn(frame.packet, frame.receivedAt);
      } else if (frame.kind === 'synced') {
        syncWaiters.get(frame.id)?.();
        syncWaiters.delete(frame.id);
      } else if (frame.kind === 'watching') {
        watchingWaiters.get(frame.port)?.();
        watchingWaiters.delete(frame.port);
      } else if (frame.kind === 'stats') {
        const { kind: _kind, ...counts } = frame;
        lastCounts = counts;
        countsWaiters.shift()?.(counts);
      }
    }
  });
  let failure: Error | null = null;
  let closing = false;
  child.once('exit', (code, signal) => {
    for (const waiter of countsWaiters.splice(0)) waiter(lastCounts);
    // Unanswerable now: everything it would have delivered is lost.
    for (const waiter of syncWaiters.values()) waiter();
    syncWaiters.clear();
    if (!closing) {
      failure = new Error(
        `SYN-ACK capture process ended (code ${code}, signal ${signal}): ${stderrTail.trim().slice(-500)}`,
      );
      onExit(failure);
    }
  });

  return {
    pid: child.pid!,
    get failure() {
      return failure;
    },
    readNow(then) {
      if (exited) return then();
      const id = ++lastSyncId;
      syncWaiters.set(id, then);
      send(`sync ${id}`);
    },
    watchSyn(port, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
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
    },
    unwatchSyn(port) {
      send(`unwatch-syn ${port}`);
    },
    counts() {
      if (exited) return Promise.resolve(lastCounts);
      return new Promise((resolve) => {
        countsWaiters.push(resolve);
        send('stats');
      });
    },
    async close() {
      closing = true;
      if (!exited) {
        child.stdin.end();
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 2_000);
        await exitPromise;
        clearTimeout(killTimer);
      }
    },
  };
}
