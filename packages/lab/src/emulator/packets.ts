/**
 * Ethernet/IPv4/TCP/UDP/ICMP frames: reading the fields the responder needs
 * from a captured frame without copying it, and writing answers with correct
 * checksums. Frames are written into one reusable buffer (the hot path sends
 * thousands a second; pcap_sendpacket copies it anyway).
 */
import CRC32 from 'crc-32';
import type { TcpOption } from './host-profile.ts';

export const ETH_HEADER = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export interface Ipv4View {
  /** Offset of the IP header in the frame. */
  ip: number;
  headerLength: number;
  totalLength: number;
  id: number;
  df: boolean;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
  /** Offset of the transport header. */
  l4: number;
  /** Bytes from l4 to the end of the IP datagram (never past the capture). */
  l4Length: number;
}

/** The IPv4 header of an Ethernet frame, or null for anything else (ARP, fragments, garbage). */
export function readIpv4(frame: Buffer, length: number): Ipv4View | null {
  if (length < ETH_HEADER + 20 || frame.readUInt16BE(12) !== ETHERTYPE_IPV4) return null;
  const ip = ETH_HEADER;
  const vihl = frame[ip] ?? 0;
  if (vihl >> 4 !== 4) return null;
  const headerLength = (vihl & 15) * 4;
  const totalLength = frame.readUInt16BE(ip + 2);
  if (headerLength < 20 || totalLength < headerLength || ip + headerLength > length) return null;
  const flagsFrag = frame.readUInt16BE(ip + 6);
  // Fragments are not reassembled: no probe of interest is fragmented.
  if ((flagsFrag & 0x3fff) !== 0) return null;
  const end = Math.min(length, ip + totalLength);
  return {
    ip,
    headerLength,
    totalLength,
    id: frame.readUInt16BE(ip + 4),
    df: (flagsFrag & 0x4000) !== 0,
    ttl: frame[ip + 8] ?? 0,
    protocol: frame[ip + 9] ?? 0,
    src: frame.readUInt32BE(ip + 12),
    dst: frame.readUInt32BE(ip + 16),
    l4: ip + headerLength,
    l4Length: end - (ip + headerLength),
  };
}

export const ETHERTYPE_IPV6 = 0x86dd;

/** The parts of an IPv6 frame a path needs; only TCP or UDP right after the fixed header (no extension headers). */
export interface Ipv6View {
  /** Offset of the IPv6 header in the frame. */
  ip: number;
  /** Next header: the transport protocol. */
  protocol: number;
  /** Offset of the transport header. */
  l4: number;
  /** Bytes from l4 to the end of the payload (never past the capture). */
  l4Length: number;
}

/** The IPv6 header of an Ethernet frame carrying TCP or UDP directly, or null for anything else. */
export function readIpv6(frame: Buffer, length: number): Ipv6View | null {
  if (length < ETH_HEADER + 40 || frame.readUInt16BE(12) !== ETHERTYPE_IPV6) return null;
  const ip = ETH_HEADER;
  if ((frame[ip] ?? 0) >> 4 !== 6) return null;
  const protocol = frame[ip + 6] ?? 0;
  if (protocol !== PROTO_TCP && protocol !== PROTO_UDP) return null;
  const l4 = ip + 40;
  return { ip, protocol, l4, l4Length: Math.min(length, l4 + frame.readUInt16BE(ip + 4)) - l4 };
}

export interface TcpView {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** The 4 reserved bits (Nmap's ECN probe sets one). */
  reserved: number;
  window: number;
  urgent: number;
  optionsOffset: number;
  optionsLength: number;
  payloadOffset: number;
  payloadLength: number;
  /** TSval of the timestamp option, or null without one. */
  tsVal: number | null;
  hasMss: boolean;
  /** The MSS option's value, or null. */
  mss: number | null;
  /** Option kinds in order, as a compact signature: e.g. "3,1,2,8,4". */
  optionKinds: string;
}

export function readTcp(frame: Buffer, ip: Ipv4View): TcpView | null {
  const o = ip.l4;
  if (ip.l4Length < 20) return null;
  const dataOffset = ((frame[o + 12] ?? 0) >> 4) * 4;
  if (dataOffset < 20 || dataOffset > ip.l4Length) return null;
  let tsVal: number | null = null;
  let hasMss = false;
  let mss: number | null = null;
  const kinds: number[] = [];
  for (let p = o + 20; p < o + dataOffset;) {
    const kind = frame[p] ?? 0;
    kinds.push(kind);
    if (kind === 0) break;
    if (kind === 1) {
      p++;
      continue;
    }
    const len = frame[p + 1] ?? 0;
    if (len < 2 || p + len > o + dataOffset) break;
    if (kind === 8 && len === 10) tsVal = frame.readUInt32BE(p + 2);
    if (kind === 2 && len === 4) {
      hasMss = true;
      mss = frame.readUInt16BE(p + 2);
    }
    p += len;
  }
  return {
    srcPort: frame.readUInt16BE(o),
    dstPort: frame.readUInt16BE(o + 2),
    seq: frame.readUInt32BE(o + 4),
    ack: frame.readUInt32BE(o + 8),
    flags: frame[o + 13] ?? 0,
    reserved: (frame[o + 12] ?? 0) & 0x0f,
    window: frame.readUInt16BE(o + 14),
    urgent: frame.readUInt16BE(o + 18),
    optionsOffset: o + 20,
    optionsLength: dataOffset - 20,
    payloadOffset: o + dataOffset,
    payloadLength: ip.l4Length - dataOffset,
    tsVal,
    hasMss,
    mss,
    optionKinds: kinds.join(','),
  };
}

/** Internet checksum (RFC 1071) over buf[start, end), plus an initial sum. */
export function checksum(buf: Buffer, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** Bytes `options` take on the wire, before padding. */
export function optionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options)
    n += o.kind === 'mss' ? 4 : o.kind === 'ws' ? 3 : o.kind === 'sack' ? 2 : o.kind === 'ts' ? 10 : 1;
  return n;
}

export interface IpFields {
  srcMac: Buffer;
  dstMac: Buffer;
  src: number;
  dst: number;
  ttl: number;
  df: boolean;
  id: number;
  tos?: number;
}

function writeEthIp(out: Buffer, f: IpFields, protocol: number, payloadLength: number): number {
  f.dstMac.copy(out, 0);
  f.srcMac.copy(out, 6);
  out.writeUInt16BE(ETHERTYPE_IPV4, 12);
  const ip = ETH_HEADER;
  out[ip] = 0x45;
  out[ip + 1] = f.tos ?? 0;
  out.writeUInt16BE(20 + payloadLength, ip + 2);
  out.writeUInt16BE(f.id & 0xffff, ip + 4);
  out.writeUInt16BE(f.df ? 0x4000 : 0, ip + 6);
  out[ip + 8] = f.ttl & 0xff;
  out[ip + 9] = protocol;
  out.writeUInt16BE(0, ip + 10);
  out.writeUInt32BE(f.src >>> 0, ip + 12);
  out.writeUInt32BE(f.dst >>> 0, ip + 16);
  out.writeUInt16BE(checksum(out, ip, ip + 20), ip + 10);
  return ip + 20;
}

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  reserved?: number;
  urgent?: number;
  options: readonly TcpOption[];
  tsVal?: number;
  tsEcr?: number;
  payload?: Buffer | null;
}

/** Writes a whole Ethernet+IPv4+TCP frame into `out`; returns its length. */
export function writeTcpFrame(out: Buffer, ipf: IpFields, t: TcpFields): number {
  const optLen = optionsLength(t.options);
  const padded = (optLen + 3) & ~3;
  const payloadLength = t.payload?.length ?? 0;
  const tcpLength = 20 + padded + payloadLength;
  const o = writeEthIp(out, ipf, PROTO_TCP, tcpLength);
  out.writeUInt16BE(t.srcPort, o);
  out.writeUInt16BE(t.dstPort, o + 2);
  out.writeUInt32BE(t.seq >>> 0, o + 4);
  out.writeUInt32BE(t.ack >>> 0, o + 8);
  out[o + 12] = (((20 + padded) / 4) << 4) | ((t.reserved ?? 0) & 0x0f);
  out[o + 13] = t.flags & 0xff;
  out.writeUInt16BE(t.window & 0xffff, o + 14);
  out.writeUInt16BE(0, o + 16);
  out.writeUInt16BE((t.urgent ?? 0) & 0xffff, o + 18);
  let p = o + 20;
  for (const opt of t.options) {
    switch (opt.kind) {
      case 'mss':
        out[p] = 2;
        out[p + 1] = 4;
        out.writeUInt16BE(opt.value, p + 2);
        p += 4;
        break;
      case 'ws':
        out[p] = 3;
        out[p + 1] = 3;
        out[p + 2] = opt.value;
        p += 3;
        break;
      case 'sack':
        out[p] = 4;
        out[p + 1] = 2;
        p += 2;
        break;
      case 'ts':
        out[p] = 8;
        out[p + 1] = 10;
        out.writeUInt32BE(opt.val ? (t.tsVal ?? 1) >>> 0 : 0, p + 2);
        out.writeUInt32BE(opt.ecr ? (t.tsEcr ?? 1) >>> 0 : 0, p + 6);
        p += 10;
        break;
      case 'nop':
        out[p++] = 1;
        break;
      case 'eol':
        out[p++] = 0;
        break;
    }
  }
  // Padding: zeros, which read as EOL (Nmap's "L") only when the fingerprint's string is not word-aligned.
  while (p < o + 20 + padded) out[p++] = 0;
  if (t.payload) t.payload.copy(out, p);
  const sum = checksum(out, o, o + tcpLength, pseudoSum(ipf.src, ipf.dst, PROTO_TCP, tcpLength));
  out.writeUInt16BE(sum, o + 16);
  return o + tcpLength;
}

/** Writes an Ethernet+IPv4+ICMP frame (type, code, 4 bytes of "rest of header", body). */
export function writeIcmpFrame(
  out: Buffer,
  ipf: IpFields,
  type: number,
  code: number,
  rest: number,
  body: Buffer,
): number {
  const icmpLength = 8 + body.length;
  const o = writeEthIp(out, ipf, PROTO_ICMP, icmpLength);
  out[o] = type;
  out[o + 1] = code;
  out.writeUInt16BE(0, o + 2);
  out.writeUInt32BE(rest >>> 0, o + 4);
  body.copy(out, o + 8);
  out.writeUInt16BE(checksum(out, o, o + icmpLength), o + 2);
  return o + icmpLength;
}

export function crc32(data: Buffer): number {
  return CRC32.buf(data) >>> 0;
}

// The reflected CRC-32 table, to run the register backwards (see forgeCrc32).
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
const TOP_BYTE_INDEX = (() => {
  const idx = new Uint8Array(256);
  for (let n = 0; n < 256; n++) idx[(TABLE[n]! >>> 24) & 0xff] = n;
  return idx;
})();

/**
 * Four bytes whose CRC-32 is `target`. Nmap's RD attribute is the CRC-32 of a
 * RST's payload, and a fingerprint states only that number, so the payload is
 * made to measure: CRC-32 is invertible over the last four bytes of a message.
 */
export function forgeCrc32(target: number): Buffer {
  // Run the register back from the final state (target ^ ~0) over 4 unknown bytes to the initial state ~0.
  let state = (target ^ 0xffffffff) >>> 0;
  const indexes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const n = TOP_BYTE_INDEX[state >>> 24]!;
    indexes.unshift(n);
    state = (((state ^ TABLE[n]!) << 8) | 0) >>> 0;
  }
  // Forward: register starts at ~0; byte b gives index (reg ^ b) & 0xff, which must equal indexes[i].
  const out = Buffer.alloc(4);
  let reg = 0xffffffff;
  for (let i = 0; i < 4; i++) {
    const b = ((reg ^ indexes[i]!) & 0xff) >>> 0;
    out[i] = b;
    reg = (TABLE[(reg ^ b) & 0xff]! ^ (reg >>> 8)) >>> 0;
  }
  return out;
}

export function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  return (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0;
}

export function intToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function macFromString(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

/** Nmap's option string (`M5B4NW8ST11`) of raw TCP option bytes, as osscan2.cc's get_tcpopt_string writes it. */
export function nmapOptionString(options: Buffer): string {
  let out = '';
  for (let i = 0; i < options.length;) {
    const kind = options[i]!;
    if (kind === 0 || kind === 1) {
      out += kind === 0 ? 'L' : 'N';
      i++;
      continue;
    }
    const len = options[i + 1] ?? 0;
    if (len < 2 || i + len > options.length) break;
    if (kind === 2 && len >= 4)
      out += `M${options
        .readUInt16BE(i + 2)
        .toString(16)
        .toUpperCase()}`;
    else if (kind === 3 && len >= 3) out += `W${options[i + 2]!.toString(16).toUpperCase()}`;
    else if (kind === 4) out += 'S';
    else if (kind === 8 && len >= 10)
      out += `T${options.readUInt32BE(i + 2) ? 1 : 0}${options.readUInt32BE(i + 6) ? 1 : 0}`;
    i += len;
  }
  return out;
}
