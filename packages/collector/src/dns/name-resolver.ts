import { Resolver } from 'node:dns/promises';
import PQueue from 'p-queue';

export interface NameResolverOptions {
  /** DNS servers (`ip` or `ip:port`); empty = the system's. */
  readonly servers?: readonly string[];
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly tries?: number;
}

/** What resolving one name gave: its A records, or why there are none. */
export type Resolution =
  | { readonly status: 'resolved'; readonly addresses: readonly string[] }
  | { readonly status: 'no-address' | 'timeout' | 'error'; readonly addresses: readonly []; readonly code: string };

/**
 * Resolves A records with bounded concurrency. `pending` lets the caller apply
 * back-pressure instead of queueing a million lookups.
 */
export class NameResolver {
  private readonly resolver: Resolver;
  private readonly queue: PQueue;

  constructor(options: NameResolverOptions) {
    this.resolver = new Resolver({ timeout: options.timeoutMs, tries: options.tries ?? 2 });
    if (options.servers && options.servers.length > 0) this.resolver.setServers([...options.servers]);
    this.queue = new PQueue({ concurrency: options.concurrency });
  }

  get pending(): number {
    return this.queue.size + this.queue.pending;
  }

  /** Waits until fewer than `limit` lookups are queued or running. */
  async whenBelow(limit: number): Promise<void> {
    if (this.queue.size + this.queue.pending >= limit)
      await this.queue.onSizeLessThan(Math.max(1, limit - this.queue.pending));
  }

  async idle(): Promise<void> {
    await this.queue.onIdle();
  }

  resolve(name: string): Promise<Resolution> {
    return this.queue.add(
      async (): Promise<Resolution> => {
        try {
          const addresses = await this.resolver.resolve4(name);
          return { status: 'resolved', addresses };
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
          if (code === 'ENOTFOUND' || code === 'ENODATA') return { status: 'no-address', addresses: [], code };
          if (code === 'ETIMEOUT') return { status: 'timeout', addresses: [], code };
          return { status: 'error', addresses: [], code };
        }
      },
      { throwOnTimeout: true },
    ) as Promise<Resolution>;
  }

  cancel(): void {
    this.resolver.cancel();
    this.queue.clear();
  }
}
