import type { SynAckFeatures, SynFeatures } from '@osfp/dataset';
import type { AnsweredSyn } from './capture-frames.ts';

/**
 * Hands every probe its own SYN-ACK. Captured SYN-ACKs arrive (in batches,
 * from the capture) keyed by the connection they open: remote address,
 * remote port, local port. A probe claims its key once its connection is up;
 * the packet is either already here, or still in the kernel's capture buffer
 * - because the kernel gives the capture its copy before TCP completes the
 * handshake, a "sync" (the capture delivers everything queued so far, then
 * answers), asked for after the claim, settles the question without
 * guessing a wait: the packet is delivered before the sync's answer or it
 * was lost.
 *
 * Memory is bounded: unclaimed packets (SYN-ACKs of connections nobody asks
 * about) expire after `unclaimedTtlMs` and the table never holds more than
 * `maxUnclaimed` of them, oldest dropped first.
 */

export interface CapturedPacket {
  /** The whole IP packet, IP header first. */
  readonly packet: Uint8Array;
  /** When it was captured (epoch ms, fractional). */
  readonly receivedAt: number;
}

/** A SYN-ACK as the table hands it to its probe. */
export interface CapturedSynAck extends CapturedPacket {
  /** Its acknowledgement number: two SYN-ACKs with the same key and ack answer the same SYN. */
  readonly ack: number;
  /** The SYN it answers, when the capture saw our SYNs (libpcap); null otherwise. */
  readonly syn: AnsweredSyn | null;
  /** SYN-ACKs seen for this connection up to the claim (1 = no duplicate or retransmission). */
  readonly count: number;
  /** Its columns and its SYN's, extracted when it was delivered (paired SYN-ACKs only). */
  readonly columns?: PairColumns | undefined;
}

/** The columns of a SYN-ACK (null when it does not parse) and of the SYN it answers. */
export interface PairColumns {
  readonly synack: SynAckFeatures | null;
  readonly syn: SynFeatures;
}

export interface SynAckTableOptions {
  /** Asks the capture to deliver everything queued so far, then answer `synced(id)`. */
  readonly requestSync: (id: number) => void;
  /** Give up on a sync that gets no answer (capture stuck or gone): its claims resolve to null. */
  readonly syncTimeoutMs?: number;
  readonly unclaimedTtlMs?: number;
  readonly maxUnclaimed?: number;
  /** Clock in ms; injectable for tests. */
  readonly now?: () => number;
}

export interface SynAckTableStats {
  offered: number;
  matched: number;
  stale: number;
  duplicates: number;
  /** Stored SYN-ACKs replaced by one answering a newer SYN on the same ports. */
  replaced: number;
  expired: number;
  evicted: number;
  missed: number;
  syncs: number;
  unclaimed: number;
  waiting: number;
}

interface Waiter {
  readonly resolve: (captured: CapturedSynAck | null) => void;
  /** The first sync sent after this claim; its answer settles the claim. */
  readonly syncId: number;
}

/**
 * A SYN-ACK as stored and handed over: one object of one shape, built once.
 * Copying the offered object with a spread (`{ ...captured, count: 1 }`)
 * cost more than the Map operations around it, once per probe.
 */
class StoredSynAck implements CapturedSynAck {
  readonly packet: Uint8Array;
  readonly receivedAt: number;
  readonly ack: number;
  readonly syn: AnsweredSyn | null;
  readonly columns: PairColumns | undefined;
  /** Counted up in place while stored: nobody holds it before its claim. */
  count = 1;
  // The table's bookkeeping, kept off the object's own properties: its claimer sees a CapturedSynAck.
  readonly #storedAt: number;

  constructor(captured: Omit<CapturedSynAck, 'count'>, storedAt: number) {
    this.packet = captured.packet;
    this.receivedAt = captured.receivedAt;
    this.ack = captured.ack;
    this.syn = captured.syn;
    this.columns = captured.columns;
    this.#storedAt = storedAt;
  }

  get storedAt(): number {
    return this.#storedAt;
  }
}

/** How often, at most, expired packets are looked for: their memory is freed that much later, no more. */
const EXPIRY_SCAN_MS = 1_000;

export function connectionKey(remoteIp: string, remotePort: number, localPort: number): string {
  return `${remoteIp}:${remotePort}:${localPort}`;
}

export class SynAckTable {
  private readonly unclaimed = new Map<string, StoredSynAck>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly requestSync: (id: number) => void;
  private readonly syncTimeoutMs: number;
  private readonly unclaimedTtlMs: number;
  private readonly maxUnclaimed: number;
  private readonly now: () => number;
  /** Id of the sync in flight (0 = none); the next sync gets lastSyncId + 1. */
  private inFlight = 0;
  private lastSyncId = 0;
  /** When offer() next scans for expired packets (see expire). */
  private nextExpiryAt = -Infinity;
  private syncTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly counts = {
    offered: 0,
    matched: 0,
    stale: 0,
    duplicates: 0,
    replaced: 0,
    expired: 0,
    evicted: 0,
    missed: 0,
    syncs: 0,
  };

  constructor(options: SynAckTableOptions) {
    this.requestSync = options.requestSync;
    this.syncTimeoutMs = options.syncTimeoutMs ?? 10_000;
    this.unclaimedTtlMs = options.unclaimedTtlMs ?? 30_000;
    this.maxUnclaimed = options.maxUnclaimed ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * A captured SYN-ACK for connection `key`. The first copy wins; later
   * copies that acknowledge the same SYN (duplicates, retransmissions) are
   * counted on it; one that acknowledges another SYN is a new connection on
   * the same ports (port reuse) and replaces it.
   */
  offer(key: string, captured: Omit<CapturedSynAck, 'count'>): void {
    this.counts.offered++;
    const waiter = this.waiters.get(key);
    if (waiter) {
      this.waiters.delete(key);
      this.counts.matched++;
      waiter.resolve(new StoredSynAck(captured, this.now()));
      return;
    }
    const stored = this.unclaimed.get(key);
    if (stored) {
      if (stored.ack === captured.ack) {
        this.counts.duplicates++;
        stored.count++;
        return;
      }
      this.unclaimed.delete(key);
      this.counts.replaced++;
    }
    const now = this.now();
    if (now >= this.nextExpiryAt) this.expire(now);
    if (this.unclaimed.size >= this.maxUnclaimed) {
      const oldest = this.unclaimed.keys().next();
      if (!oldest.done) this.unclaimed.delete(oldest.value);
      this.counts.evicted++;
    }
    this.unclaimed.set(key, new StoredSynAck(captured, now));
  }

  /**
   * The SYN-ACK of connection `key`; call once the connection is up, with
   * `notBefore` = when its connect() was called (a stored packet read before
   * that belongs to an earlier connection on the same ports). Resolves
   * to null when the capture has delivered everything the kernel queued
   * before this claim and the packet was not among it.
   */
  claim(key: string, notBefore = -Infinity): Promise<CapturedSynAck | null> {
    const stored = this.unclaimed.get(key);
    if (stored) {
      this.unclaimed.delete(key);
      // The SYN's time when the capture paired it: a SYN sent before this connect() is another connection's.
      if ((stored.syn?.sentAt ?? stored.receivedAt) >= notBefore) {
        this.counts.matched++;
        return Promise.resolve(stored);
      }
      // The SYN-ACK of an earlier connection with the same addresses and ports
      // (one that timed out before its handshake completed): not ours.
      this.counts.stale++;
    }
    if (this.closed) {
      this.counts.missed++;
      return Promise.resolve(null);
    }
    const previous = this.waiters.get(key);
    if (previous) previous.resolve(null); // a reused key: the older claim cannot be answered any more
    return new Promise((resolve) => {
      const syncId = this.inFlight === 0 ? this.lastSyncId + 1 : this.inFlight + 1;
      this.waiters.set(key, { resolve, syncId });
      if (this.inFlight === 0) this.startSync();
    });
  }

  /** The capture answered sync `id`: every claim waiting for it (or an earlier one) was not captured. */
  synced(id: number): void {
    if (id !== this.inFlight) return; // a late answer to a sync that already timed out
    this.finishSync(id);
  }

  /**
   * Drops expired unclaimed packets; offer() calls it at most once per
   * EXPIRY_SCAN_MS. A scan starts at the Map's oldest slot, and V8 keeps the
   * slots of deleted entries (every claimed packet's) there until the Map is
   * rehashed: scanning on every offer cost 2-8 µs each at 3,000 probes/s.
   */
  expire(now = this.now()): void {
    this.nextExpiryAt = now + Math.min(EXPIRY_SCAN_MS, this.unclaimedTtlMs / 8);
    for (const [key, entry] of this.unclaimed) {
      if (now - entry.storedAt < this.unclaimedTtlMs) break; // insertion order = age order
      this.unclaimed.delete(key);
      this.counts.expired++;
    }
  }

  stats(): SynAckTableStats {
    return { ...this.counts, unclaimed: this.unclaimed.size, waiting: this.waiters.size };
  }

  /** Settles every claim with null and drops stored packets. */
  close(): void {
    this.closed = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    for (const waiter of this.waiters.values()) waiter.resolve(null);
    this.counts.missed += this.waiters.size;
    this.waiters.clear();
    this.unclaimed.clear();
  }

  private startSync(): void {
    const id = this.lastSyncId + 1;
    this.lastSyncId = id;
    this.counts.syncs++;
    this.inFlight = id;
    this.syncTimer = setTimeout(() => this.finishSync(id), this.syncTimeoutMs);
    this.syncTimer.unref();
    this.requestSync(id);
  }

  private finishSync(id: number): void {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    this.inFlight = 0;
    let more = false;
    for (const [key, waiter] of this.waiters) {
      if (waiter.syncId <= id) {
        this.waiters.delete(key);
        this.counts.missed++;
        waiter.resolve(null);
      } else {
        more = true;
      }
    }
    if (more && !this.closed) this.startSync();
  }
}
