import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connects to the run's Redis from a URL: `redis://[:password@]host:port[/db]`,
 * `rediss://...` (TLS, ioredis turns it on from the scheme) or
 * `unix:///path/to/socket`. Every connection retries for ever and never fails
 * a command while disconnected: a Redis restart must pause the run, not end it.
 */
export function connectRedis(url: string, name: string, extra: RedisOptions = {}): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: `osfp-${name}`,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...extra,
  };
  if (url.startsWith('unix://')) return new Redis({ ...options, path: url.slice('unix://'.length) });
  return new Redis(url, options);
}

/** redis://, rediss:// (TLS) or unix:// (a socket path): what connectRedis takes. */
export function isRedisUrl(url: string): boolean {
  return /^rediss?:\/\/[^\s]+$|^unix:\/\/\/[^\s]+$/.test(url);
}

/** The URL without its password, for logs and summaries. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*):([^@/]*)@/, (_m, user: string) => `//${user}:***@`);
}

/** Bytes Redis uses now (INFO memory used_memory). */
export async function redisUsedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /used_memory:(\d+)/.exec(info);
  return match ? Number(match[1]) : 0;
}
