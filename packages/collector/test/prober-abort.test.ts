/**
 * Aborting a batch ends the exchanges in flight at once: one listener per
 * batch reaches them all (the prober gives them no listener of their own).
 * Probes go to a server on 127.0.0.1 that accepts and never answers.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@osfp/test-support';
import { createProber } from '../src/probe/index.ts';

describe.skipIf(needs('root'))('prober batch abort', () => {
  const held: Socket[] = [];
  const server = createServer((socket) => {
    held.push(socket);
    socket.on('error', () => undefined); // the prober resets what it abandons
  });
  let port = 0;
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    for (const socket of held) socket.destroy();
    server.close();
  });

  it('ends every exchange in flight when the batch signal aborts, and leaves none running', async () => {
    const prober = await createProber({ timeoutMs: 30_000, concurrency: 8, userAgent: 'osfp-test' });
    try {
      const controller = new AbortController();
      const targets = Array.from({ length: 20 }, () => ({ ip: '127.0.0.1', port }));
      const started = Date.now();
      const batch = prober.probeBatch(targets, controller.signal);
      while (held.length < 8) await new Promise((resolve) => setTimeout(resolve, 10));
      controller.abort();
      await expect(batch).rejects.toMatchObject({ name: 'AbortError' });
      expect(Date.now() - started).toBeLessThan(10_000);
      // The 8 in flight were ended, and no lane started another.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(held.length).toBe(8);
      expect(held.every((socket) => socket.destroyed || socket.readableEnded)).toBe(true);
    } finally {
      await prober.close();
    }
  }, 60_000);
});
