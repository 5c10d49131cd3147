import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { connectRedis, findEmbeddedRedis, redactRedisUrl } from '@osfp/collector';

export interface RedisStatus {
  /** Without its password. */
  readonly url: string | null;
  readonly origin: 'given' | 'embedded' | 'none';
  readonly connected: boolean;
}

/** How often the data directory's embedded Redis is looked for: it comes and goes with `osfp collect`. */
const LOOK_MS = 3000;

/**
 * The Redis the dashboard reads: the one given (--redis, REDIS_URL), else
 * the data directory's embedded Redis while a coordinator runs it. Queries
 * fail at once while it is unreachable (no offline queue): a page shows
 * "Redis unreachable" instead of hanging.
 */
export class RedisSource {
  private redis: Redis | null = null;
  private url: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: ((redis: Redis | null) => void)[] = [];

  constructor(
    private readonly given: string | undefined,
    private readonly dataDir: string,
  ) {}

  async start(): Promise<void> {
    await this.look();
    if (this.given === undefined) {
      this.timer = setInterval(() => void this.look().catch(() => {}), LOOK_MS);
      this.timer.unref();
    }
  }

  current(): Redis | null {
    return this.redis;
  }

  status(): RedisStatus {
    return {
      url: this.url === null ? null : redactRedisUrl(this.url),
      origin: this.url === null ? 'none' : this.given !== undefined ? 'given' : 'embedded',
      connected: this.redis?.status === 'ready',
    };
  }

  /** Told whenever the connection is replaced (an embedded Redis started or stopped). */
  onChange(listener: (redis: Redis | null) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.redis?.disconnect();
    this.redis = null;
  }

  private async look(): Promise<void> {
    const url = this.given ?? (await findEmbeddedRedis(this.dataDir));
    if (url === this.url) return;
    this.redis?.disconnect();
    this.url = url;
    this.redis =
      url === null
        ? null
        : connectRedis(url, 'dashboard', { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 3000 });
    if (this.redis) {
      const redis = this.redis;
      redis.on('error', () => {});
      // Commands fail at once until the connection is ready: wait for it (briefly) before anyone asks.
      await Promise.race([once(redis, 'ready'), new Promise((r) => setTimeout(r, 3000).unref())]);
    }
    for (const listener of this.listeners) listener(this.redis);
  }
}
