import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { needs, scratchDir } from '@osfp/test-support';
import { freePort, startEmbeddedRedis } from '../src/redis/embedded-redis.ts';
import { connectRedis, redactRedisUrl } from '../src/redis/redis-connection.ts';
import { ProbeRateLimit } from '../src/worker/probe-rate-limit.ts';

describe.skipIf(needs('redis-server'))('redis', () => {
  it('starts an embedded redis with AOF and noeviction, adopts it again, stops it', async () => {
    const dataDir = await scratchDir('osfp-redis-');
    const first = await startEmbeddedRedis(dataDir);
    expect(first.adopted).toBe(false);
    const redis = connectRedis(first.url, 'test');
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await redis.config('GET', 'dir')).toEqual(['dir', join(dataDir, 'redis')]);
    await redis.set('k', 'v');
    // A second coordinator on the same data dir (a resume after kill -9) finds the same server.
    const second = await startEmbeddedRedis(dataDir);
    expect(second).toMatchObject({ adopted: true, port: first.port, pid: first.pid });
    redis.disconnect();
    await second.stop();
    // Restarted from its AOF, the data is still there.
    const third = await startEmbeddedRedis(dataDir);
    expect(third.adopted).toBe(false);
    const again = connectRedis(third.url, 'test');
    expect(await again.get('k')).toBe('v');
    again.disconnect();
    await third.stop();
  }, 60_000);

  it('connects with a password URL and redacts it in logs', async () => {
    const port = await freePort();
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', 's3cret', '--save', ''],
      { stdio: 'ignore' },
    );
    try {
      await new Promise((r) => setTimeout(r, 300));
      const redis = connectRedis(`redis://:s3cret@127.0.0.1:${port}/2`, 'test');
      expect(await redis.ping()).toBe('PONG');
      expect(redis.options.db).toBe(2);
      redis.disconnect();
      expect(redactRedisUrl(`redis://:s3cret@127.0.0.1:${port}`)).toBe(`redis://:***@127.0.0.1:${port}`);
      expect(redactRedisUrl('rediss://user:pw@h:1')).toBe('rediss://user:***@h:1');
    } finally {
      server.kill();
    }
  }, 30_000);

  it('--rate holds across limiter clients (two "workers")', async () => {
    const dataDir = await scratchDir('osfp-rate-');
    const server = await startEmbeddedRedis(dataDir);
    const a = connectRedis(server.url, 'a');
    const b = connectRedis(server.url, 'b');
    try {
      const limits = [new ProbeRateLimit(a), new ProbeRateLimit(b)];
      const rate = 20;
      const chunk = ProbeRateLimit.chunkSize(rate, 256);
      expect(chunk).toBe(2);
      const started = Date.now();
      // 80 probes at 20/s shared by two clients: at least ~3 s (the first second's budget is free).
      await Promise.all(
        limits.map(async (limit) => {
          for (let sent = 0; sent < 40; sent += chunk) await limit.take('RUN', rate, chunk);
        }),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(2800);
      expect(ProbeRateLimit.chunkSize(0, 256)).toBe(256);
    } finally {
      a.disconnect();
      b.disconnect();
      await server.stop();
    }
  }, 30_000);
});
