/**
 * The few IPv4/IPv6 and TCP header fields that route a packet: addresses,
 * ports, flags, sequence numbers and the IP length. Deliberately not a feature
 * extractor (that is signature/, which reads every field the way p0f does):
 * this runs for every TCP packet a capture sees, so it reads a handful of
 * fields and allocates nothing but the address strings of the packets it is
 * asked about.
 */

import { u32 } from './big-endian.ts';

export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

const PROTO_TCP = 6;
/** IPv6 extension headers walked to find TCP (RFC 8200 order; 44 = fragment, handled apart). */
const IPV6_EXTENSIONS = new Set([0, 43, 60, 51, 135, 139, 140]);
const IPV6_FRAGMENT = 44;
/** More extension headers than this is an attack, not a packet worth walking. */
const MAX_IPV6_EXTENSIONS = 8;

export interface SegmentHeader {
  readonly version: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly flags: number;
  readonly seq: number;
  readonly ack: number;
  /** IP length from the header: what was on the wire, even when the capture cut the packet short. */
  readonly ipBytes: number;
}

/**
 * Where TCP starts in an IPv4 or IPv6 packet, or why there is no TCP header
 * to read: `non-first-fragment`, `not-tcp`, `truncated`, `not-ip`.
 */
export type TcpLocation =
  | { readonly ok: true; readonly offset: number; readonly version: 4 | 6 }
  | { readonly ok: false; readonly reason: 'non-first-fragment' | 'not-tcp' | 'truncated' | 'not-ip' };

export function locateTcp(packet: Uint8Array, length = packet.length): TcpLocation {
  if (length < 1) return { ok: false, reason: 'truncated' };
  const version = packet[0]! >> 4;
  if (version === 4) {
    if (length < 20) return { ok: false, reason: 'truncated' };
    // A non-first fragment carries no TCP header at its start.
    if ((((packet[6]! & 0x1f) << 8) | packet[7]!) !== 0) return { ok: false, reason: 'non-first-fragment' };
    if (packet[9] !== PROTO_TCP) return { ok: false, reason: 'not-tcp' };
    const ihl = (packet[0]! & 0x0f) * 4;
    if (ihl < 20 || length < ihl + 20) return { ok: false, reason: 'truncated' };
    return { ok: true, offset: ihl, version: 4 };
  }
  if (version === 6) {
    if (length < 40) return { ok: false, reason: 'truncated' };
    let next = packet[6]!;
    let at = 40;
    for (let n = 0; next !== PROTO_TCP; n++) {
      if (n >= MAX_IPV6_EXTENSIONS || length < at + 8) return { ok: false, reason: 'truncated' };
      if (next === IPV6_FRAGMENT) {
        // Offset (13 bits) and the M flag: only an atomic fragment (both zero) holds a whole TCP header.
        if (((packet[at + 2]! << 8) | packet[at + 3]!) & 0xfff9) return { ok: false, reason: 'non-first-fragment' };
        next = packet[at]!;
        at += 8;
        continue;
      }
      if (!IPV6_EXTENSIONS.has(next)) return { ok: false, reason: 'not-tcp' };
      // AH counts its length in 4-byte units minus 2; the others in 8-byte units minus 1.
      const size = next === 51 ? (packet[at + 1]! + 2) * 4 : (packet[at + 1]! + 1) * 8;
      next = packet[at]!;
      at += size;
    }
    if (length < at + 20) return { ok: false, reason: 'truncated' };
    return { ok: true, offset: at, version: 6 };
  }
  return { ok: false, reason: 'not-ip' };
}

/** Offset of the TCP header in an IPv4 or IPv6 packet, or -1 when it has no whole TCP header. */
export function tcpOffset(packet: Uint8Array, length = packet.length): number {
  const location = locateTcp(packet, length);
  return location.ok ? location.offset : -1;
}

/** TCP flags byte, or -1 when the packet is not IPv4/IPv6 TCP. */
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

/** An IPv6 address in RFC 5952 text (lowercase, longest zero run of two or more groups as `::`). */
export function ipv6Text(packet: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((packet[at + 2 * i]! << 8) | packet[at + 2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** The routing fields of an IPv4 or IPv6 TCP packet, or null for anything else. */
export function readSegmentHeader(packet: Uint8Array, length = packet.length): SegmentHeader | null {
  const location = locateTcp(packet, length);
  if (!location.ok) return null;
  const t = location.offset;
  const v4 = location.version === 4;
  return {
    version: location.version,
    src: v4 ? dottedQuad(packet, 12) : ipv6Text(packet, 8),
    dst: v4 ? dottedQuad(packet, 16) : ipv6Text(packet, 24),
    srcPort: (packet[t]! << 8) | packet[t + 1]!,
    dstPort: (packet[t + 2]! << 8) | packet[t + 3]!,
    flags: packet[t + 13]!,
    seq: u32(packet, t + 4),
    ack: u32(packet, t + 8),
    ipBytes: v4 ? (packet[2]! << 8) | packet[3]! : 40 + ((packet[4]! << 8) | packet[5]!),
  };
}

/** The TCP destination port, or -1. */
export function tcpDstPort(packet: Uint8Array, length = packet.length): number {
  const offset = tcpOffset(packet, length);
  return offset < 0 ? -1 : (packet[offset + 2]! << 8) | packet[offset + 3]!;
}
