import { Resolver } from 'node:dns/promises';
import PQueue from 'p-queue';

export interface NameResolverOptions {
  /** DNS servers (`ip` or `ip:port`); empty = the system's. */
  readonly servers?: readonly string[];
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly tries?: number;
  /** Record types asked for: A for 4, AAAA for 6 (default: A only). */
  readonly families?: ReadonlySet<4 | 6>;
}

/** What resolving one name gave: its A and/or AAAA records, or why there are none. */
export type Resolution =
  | { readonly status: 'resolved'; readonly addresses: readonly string[] }
  | { readonly status: 'no-address' | 'timeout' | 'error'; readonly addresses: readonly []; readonly code: string };

/**
 * Resolves A and/or AAAA records with bounded concurrency; a name's addresses
 * of both families come back together. `pending` lets the caller apply
 * back-pressure instead of queueing a million lookups.
 */
export class NameResolver {
  private readonly resolver: Resolver;
  private readonly queue: PQueue;
  private readonly families: ReadonlySet<4 | 6>;

  constructor(options: NameResolverOptions) {
    this.families = options.families ?? new Set([4]);
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
        const lookups = [...this.families].map((family) =>
          family === 4 ? this.resolver.resolve4(name) : this.resolver.resolve6(name),
        );
        const results = await Promise.allSettled(lookups);
        const addresses = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
        if (addresses.length > 0) return { status: 'resolved', addresses };
        // No address of any family: the first failure that is not "no such record" says why.
        const codes = results.map((r) =>
          r.status === 'rejected' ? ((r.reason as NodeJS.ErrnoException).code ?? 'UNKNOWN') : 'ENODATA',
        );
        const code = codes.find((c) => c !== 'ENOTFOUND' && c !== 'ENODATA') ?? codes[0] ?? 'ENODATA';
        if (code === 'ENOTFOUND' || code === 'ENODATA') return { status: 'no-address', addresses: [], code };
        if (code === 'ETIMEOUT') return { status: 'timeout', addresses: [], code };
        return { status: 'error', addresses: [], code };
      },
      { throwOnTimeout: true },
    ) as Promise<Resolution>;
  }

  cancel(): void {
    this.resolver.cancel();
    this.queue.clear();
  }
}
