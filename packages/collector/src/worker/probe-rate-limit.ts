import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { runKeys } from '../queue/queue-names.ts';

/**
 * `--rate` probes/s across every worker of a run: one RateLimiterRedis
 * (rate-limiter-flexible) counter per run on the run's own Redis, so adding
 * workers adds throughput only up to the rate.
 */
export class ProbeRateLimit {
  private readonly limiters = new Map<string, RateLimiterRedis>();

  constructor(private readonly redis: Redis) {}

  /** How many probes to send per limiter call: small enough to spread a second's budget, never above it. */
  static chunkSize(rate: number, batch: number): number {
    if (rate <= 0) return batch;
    return Math.max(1, Math.min(batch, Math.floor(rate / 10) || 1));
  }

  /** Waits until `count` probes may go out for this run. */
  async take(runId: string, rate: number, count: number, signal?: AbortSignal): Promise<void> {
    if (rate <= 0) return;
    const key = `${runId}:${rate}`;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: runKeys(runId).rate,
        points: rate,
        duration: 1,
      });
      this.limiters.set(key, limiter);
    }
    for (;;) {
      signal?.throwIfAborted();
      try {
        await limiter.consume('probes', count);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        await new Promise((r) => setTimeout(r, Math.max(10, rejection.msBeforeNext)));
      }
    }
  }
}
