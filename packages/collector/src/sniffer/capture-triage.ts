/**
 * What each captured packet is, decided once, wherever the capture runs (in
 * the prober for libpcap, in a child process for the raw socket): one of our
 * opening SYNs (remembered for pairing, and handed over when its port is
 * watched), a SYN-ACK answering one (handed over with that SYN), a SYN-ACK
 * that answers another SYN than the one last sent on its 4-tuple (dropped:
 * it must never reach a probe), or anything else (counted only).
 */
import { isOpeningSyn, isSynAck, locateTcp } from '@osfp/features';
import type { AnsweredSyn } from './capture-frames.ts';
import { SynPairing } from './syn-pairing.ts';

/** Where triaged packets go. Packets are views valid only during the call: copy what you keep. */
export interface TriageSink {
  synAck(packet: Buffer, at: number, syn: AnsweredSyn | null, answer: number): void;
  /** An opening SYN to a watched port (the prober learning its own SYN). */
  watchedSyn(packet: Buffer, at: number): void;
}

export class CaptureTriage {
  /** Ports whose opening SYNs are handed over (local listeners the prober connects to). */
  readonly watchedSynPorts = new Set<number>();
  packetsRead = 0;
  synAcksForwarded = 0;
  /** Null when the capture sees no SYNs (the inbound-only raw socket): SYN-ACKs then go unpaired. */
  private readonly pairing: SynPairing | null;

  constructor(
    private readonly sink: TriageSink,
    options: { pairing: boolean; synTtlMs: number },
  ) {
    this.pairing = options.pairing ? new SynPairing(options.synTtlMs) : null;
  }

  /** A packet read but not worth a look (the raw socket's inbound data segments). */
  skip(): void {
    this.packetsRead++;
  }

  /** One captured IP packet of `length` bytes, read at `at` (epoch ms). */
  keep(packet: Buffer, length: number, at: number): void {
    this.packetsRead++;
    const location = locateTcp(packet, length);
    if (!location.ok) return;
    const t = location.offset;
    const flags = packet[t + 13]!;
    // Source address at 12 (IPv4) or 8 (IPv6), destination right after it.
    const srcAt = location.version === 4 ? 12 : 8;
    const bytes = location.version === 4 ? 4 : 16;
    if (isSynAck(flags)) {
      if (!this.pairing) {
        this.synAcksForwarded++;
        this.sink.synAck(packet.subarray(0, length), at, null, 0);
        return;
      }
      const key = rawKey(packet, srcAt, bytes, t, t + 2);
      const verdict = this.pairing.answered(key, packet.readUInt32BE(t + 8), at);
      if (verdict.kind === 'foreign') return;
      this.synAcksForwarded++;
      if (verdict.kind === 'paired') {
        const syn = verdict.syn;
        this.sink.synAck(
          packet.subarray(0, length),
          at,
          { packet: syn.packet, sentAt: syn.firstAt, sends: syn.sends },
          verdict.answer,
        );
      } else {
        this.sink.synAck(packet.subarray(0, length), at, null, 0);
      }
    } else if (isOpeningSyn(flags)) {
      if (this.pairing) {
        const key = rawKey(packet, srcAt + bytes, bytes, t + 2, t);
        // A copy from Node's shared pool: an ArrayBuffer of its own per packet costs more than the copy.
        this.pairing.sent(key, packet.readUInt32BE(t + 4), Buffer.from(packet.subarray(0, length)), at);
      }
      if (this.watchedSynPorts.size > 0 && this.watchedSynPorts.has(packet.readUInt16BE(t + 2))) {
        this.sink.watchedSyn(packet.subarray(0, length), at);
      }
    }
  }

  /** SYN-ACKs dropped as another SYN's, and SYNs captured more than once. */
  pairingCounts(): { foreign: number; retransmittedSyns: number } {
    const stats = this.pairing?.stats();
    return { foreign: stats?.foreign ?? 0, retransmittedSyns: stats?.retransmittedSyns ?? 0 };
  }
}

/**
 * The connection key of a packet, from the raw address and port bytes
 * (remote address, remote port, local port) as latin1 text, one character a
 * byte, without formatting addresses: this runs for every packet, and only
 * SYN-ACKs ever need their text. fromCharCode instead of three toString
 * calls: building and looking up an IPv4 key costs a third of what it did.
 */
function rawKey(packet: Buffer, remoteAt: number, addressBytes: number, remotePortAt: number, localPortAt: number) {
  const ports = String.fromCharCode(
    packet[remotePortAt]!,
    packet[remotePortAt + 1]!,
    packet[localPortAt]!,
    packet[localPortAt + 1]!,
  );
  if (addressBytes !== 4) return packet.toString('latin1', remoteAt, remoteAt + addressBytes) + ports;
  return (
    String.fromCharCode(packet[remoteAt]!, packet[remoteAt + 1]!, packet[remoteAt + 2]!, packet[remoteAt + 3]!) + ports
  );
}
