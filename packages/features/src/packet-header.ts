/**
 * The few IPv4/TCP header fields that route a packet: addresses, ports,
 * flags and the IP total length. Deliberately not a feature extractor (that
 * is signature/, which reads every field the way p0f does): this runs for
 * every TCP packet a capture sees, so it reads a handful of fields and
 * allocates nothing but the address strings of the packets it is asked about.
 */

export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export interface SegmentHeader {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly flags: number;
  /** IP total length from the header: what was on the wire, even when the capture cut the packet short. */
  readonly ipBytes: number;
}

/** Offset of the TCP header in an IPv4 packet, or -1 when it is not a whole IPv4/TCP header. */
export function tcpOffset(packet: Uint8Array, length = packet.length): number {
  if (length < 20 || packet[0]! >> 4 !== 4 || packet[9] !== 6) return -1;
  const ihl = (packet[0]! & 0x0f) * 4;
  if (ihl < 20 || length < ihl + 20) return -1;
  // A non-first fragment carries no TCP header at its start.
  if ((((packet[6]! & 0x1f) << 8) | packet[7]!) !== 0) return -1;
  return ihl;
}

/** TCP flags byte, or -1 when the packet is not IPv4/TCP. */
export function tcpFlags(packet: Uint8Array, length = packet.length): number {
  const offset = tcpOffset(packet, length);
  return offset < 0 ? -1 : packet[offset + 13]!;
}

/** A SYN-ACK: SYN and ACK set, RST clear (a RST+ACK with SYN is no handshake). */
export function isSynAck(flags: number): boolean {
  return flags >= 0 && (flags & (TCP_SYN | TCP_ACK | TCP_RST)) === (TCP_SYN | TCP_ACK);
}

/** An opening SYN: SYN set, ACK and RST clear. */
export function isOpeningSyn(flags: number): boolean {
  return flags >= 0 && (flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN;
}

export function dottedQuad(packet: Uint8Array, at: number): string {
  return `${packet[at]}.${packet[at + 1]}.${packet[at + 2]}.${packet[at + 3]}`;
}

/** The routing fields of an IPv4/TCP packet, or null for anything else. */
export function readSegmentHeader(packet: Uint8Array): SegmentHeader | null {
  const offset = tcpOffset(packet);
  if (offset < 0) return null;
  return {
    src: dottedQuad(packet, 12),
    dst: dottedQuad(packet, 16),
    srcPort: (packet[offset]! << 8) | packet[offset + 1]!,
    dstPort: (packet[offset + 2]! << 8) | packet[offset + 3]!,
    flags: packet[offset + 13]!,
    ipBytes: (packet[2]! << 8) | packet[3]!,
  };
}

/** The TCP destination port, or -1. */
export function tcpDstPort(packet: Uint8Array, length = packet.length): number {
  const offset = tcpOffset(packet, length);
  return offset < 0 ? -1 : (packet[offset + 2]! << 8) | packet[offset + 3]!;
}
