/**
 * Pairs each captured SYN-ACK with the SYN it answers, inside the capture
 * process: a SYN-ACK belongs to a connection only when it acknowledges that
 * connection's SYN (ack = SYN's sequence + 1). Addresses and ports alone are
 * not enough: a SYN-ACK that arrives after its probe gave up, or one sent to
 * an earlier connection on the same 4-tuple (port reuse), carries the same
 * addresses and ports as the connection now open, but another ack.
 *
 * A SYN sent again with the same sequence number is a retransmission (the
 * kernel's, after a lost SYN or SYN-ACK); a SYN with a new sequence number on
 * the same 4-tuple is a new connection and replaces the old one.
 *
 * Memory is bounded: a SYN is forgotten `ttlMs` after it was first sent
 * (longer than any probe waits), and at most `maxEntries` are kept.
 */

/**
 * How often, at most, forgotten SYNs are looked for. A scan starts at the
 * Map's oldest slot, and V8 keeps the slots of deleted entries there until
 * the Map is rehashed, so a scan per packet costs more the more SYNs were
 * forgotten since. A SYN past its time is never paired, scan or not.
 */
const EXPIRY_SCAN_MS = 1_000;

export interface SentSyn {
  readonly packet: Uint8Array;
  /** When the SYN was first captured (epoch ms). */
  readonly firstAt: number;
  readonly seq: number;
  /** Times this SYN was captured: 1 = never retransmitted. */
  sends: number;
  /** SYN-ACKs seen that acknowledge it. */
  answers: number;
}

export type SynAckVerdict =
  /** Acknowledges the SYN last sent on its 4-tuple; `answer` counts from 1 (2+ = duplicate or retransmission). */
  | { readonly kind: 'paired'; readonly syn: SentSyn; readonly answer: number }
  /** Its 4-tuple's SYN was not captured (or was forgotten): nothing to check it against. */
  | { readonly kind: 'unpaired' }
  /** Acknowledges some other SYN than the one last sent on its 4-tuple: not this connection's. */
  | { readonly kind: 'foreign' };

export interface SynPairingStats {
  syns: number;
  retransmittedSyns: number;
  paired: number;
  unpaired: number;
  foreign: number;
  forgotten: number;
}

export class SynPairing {
  private readonly syns = new Map<string, SentSyn>();
  private nextExpiryAt = -Infinity;
  private readonly counts: SynPairingStats = {
    syns: 0,
    retransmittedSyns: 0,
    paired: 0,
    unpaired: 0,
    foreign: 0,
    forgotten: 0,
  };

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1_000_000,
  ) {}

  /** Our SYN to (remoteIp, remotePort) from `localPort`, captured at `at`. `packet` must be a copy the caller gives up. */
  sent(key: string, seq: number, packet: Uint8Array, at: number): SentSyn {
    this.counts.syns++;
    const known = this.syns.get(key);
    if (known && known.seq === seq) {
      known.sends++;
      this.counts.retransmittedSyns++;
      return known;
    }
    // A new connection on this 4-tuple (or the first): re-inserted so insertion order stays age order.
    if (known) this.syns.delete(key);
    const syn: SentSyn = { packet, firstAt: at, seq, sends: 1, answers: 0 };
    this.syns.set(key, syn);
    if (at >= this.nextExpiryAt || this.syns.size > this.maxEntries) this.expire(at);
    return syn;
  }

  /** A SYN-ACK from (remoteIp, remotePort) to `localPort` acknowledging `ack`. */
  answered(key: string, ack: number, at: number): SynAckVerdict {
    if (at >= this.nextExpiryAt) this.expire(at);
    let syn = this.syns.get(key);
    if (syn && at - syn.firstAt >= this.ttlMs) {
      this.syns.delete(key);
      this.counts.forgotten++;
      syn = undefined;
    }
    if (!syn) {
      this.counts.unpaired++;
      return { kind: 'unpaired' };
    }
    if ((syn.seq + 1) >>> 0 !== ack) {
      this.counts.foreign++;
      return { kind: 'foreign' };
    }
    syn.answers++;
    this.counts.paired++;
    return { kind: 'paired', syn, answer: syn.answers };
  }

  stats(): SynPairingStats & { remembered: number } {
    return { ...this.counts, remembered: this.syns.size };
  }

  private expire(now: number): void {
    this.nextExpiryAt = now + Math.min(EXPIRY_SCAN_MS, this.ttlMs / 8);
    for (const [key, syn] of this.syns) {
      if (now - syn.firstAt < this.ttlMs && this.syns.size <= this.maxEntries) break;
      this.syns.delete(key);
      this.counts.forgotten++;
    }
  }
}
