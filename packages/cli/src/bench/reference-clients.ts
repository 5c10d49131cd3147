/**
 * The clients the capture benchmarks hold the prober against: the bare
 * node:net loop (the reference: one fresh connection and one GET per
 * target, the first bytes of the answer read, no sniffing) and undici with
 * one Client per target (the design card's client), each run over a target
 * list at a fixed concurrency.
 */
import net from 'node:net';
import { Client } from 'undici';
import type { ProbeTarget } from '@osfp/collector';

export const BENCH_USER_AGENT = 'osfp-bench';

/** Runs `work` over `items` with `concurrency` loops; resolves with the seconds it took. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return (performance.now() - started) / 1000;
}

/** The reference: connect, GET, first bytes, close. True when the server answered. */
export function bareProbe(target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.ip, port: target.port, noDelay: true });
    const timer = setTimeout(() => done(false), timeoutMs);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () =>
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${target.ip}\r\nUser-Agent: ${BENCH_USER_AGENT}\r\nConnection: close\r\n\r\n`,
      ),
    );
    socket.once('data', () => done(true));
    socket.once('error', () => done(false));
    socket.once('end', () => done(false));
  });
}

/** undici, one Client per target: true when the whole answer was read. */
export async function undiciProbe(target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  const client = new Client(`http://${target.ip}:${target.port}`, {
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    pipelining: 0,
  });
  try {
    const response = await client.request({ path: '/', method: 'GET', headers: { 'user-agent': BENCH_USER_AGENT } });
    await response.body.dump();
    return true;
  } catch {
    return false;
  } finally {
    await client.destroy();
  }
}
