/**
 * Parses an IPv4 packet exactly the way p0f 3.09b's parse_packet() does
 * (process.c), so that every later decision - reject, quirk, option layout -
 * is the one p0f would make. The odd corners (the `ack+` test that looks at
 * one bit, `opt+` missing a non-zero last pad byte, the 24-option cap) are
 * p0f's behaviour and are kept on purpose: the signature must be
 * byte-identical to what p0f prints.
 */

/** p0f quirk names, in the order p0f prints them. */
export const QUIRK_ORDER = [
  'df',
  'id+',
  'id-',
  'ecn',
  '0+',
  'flow',
  'seq-',
  'ack+',
  'ack-',
  'uptr+',
  'urgf+',
  'pushf+',
  'ts1-',
  'ts2+',
  'opt+',
  'exws',
  'bad',
] as const;
export type Quirk = (typeof QUIRK_ORDER)[number];

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PUSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
const TCP_ECE = 0x40;
const TCP_CWR = 0x80;

const IP4_MBZ = 0x8000;
const IP4_DF = 0x4000;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const TCP_HEADER = 20;
const MIN_TCP4 = IPV4_HEADER + TCP_HEADER;
const MIN_TCP6 = IPV6_HEADER + TCP_HEADER;
/** Extension headers we skip to reach TCP (44, fragment, is handled apart). */
const IPV6_EXTENSIONS = new Set([0, 43, 60, 51, 135, 139, 140]);
const IPV6_FRAGMENT = 44;
const MAX_IPV6_EXTENSIONS = 8;
const MAX_TCP_OPT = 24;
const SNAPLEN = 65535;

const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WS = 3;
const OPT_SACKOK = 4;
const OPT_SACK = 5;
const OPT_TS = 8;

import { dottedQuad as dotted, ipv6Text } from '../packet-header.ts';
import { u16, u32 } from '../big-endian.ts';

/** What p0f keeps of one TCP/IP packet (its struct packet_data), plus the raw fields our columns need. */
export interface P0fPacket {
  version: 4 | 6;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  ttl: number;
  tos: number; // full TOS byte (IPv4) or traffic class (IPv6)
  ipId: number;
  df: boolean;
  ipOptLen: number;
  /** IPv6 flow label; null for IPv4. */
  flowLabel: number | null;
  /** IPv6 extension headers before TCP (next-header numbers, in order); null for IPv4. */
  extensions: number[] | null;
  /** IP header length + TCP header length (p0f's tot_hdr; IPv6 extension headers not counted). */
  totHdr: number;
  /** flags & (SYN|ACK|FIN|RST), p0f's tcp_type. */
  tcpType: number;
  flags: number;
  win: number;
  seq: number;
  payloadLength: number;
  quirks: Set<Quirk>;
  /** Option kinds in wire order, at most 24 (p0f's opt_layout). */
  optLayout: number[];
  optEolPad: number;
  /** Last parsed MSS / window scale / TSval, or null when that option was never parsed. */
  mss: number | null;
  wscale: number | null;
  tsval: number | null;
  /** Raw option bytes (after the 20-byte TCP header, up to data offset): a view of the parsed bytes, not a copy. */
  options: Uint8Array;
}

export type P0fParse = { ok: true; packet: P0fPacket } | { ok: false; reason: string };

/** Never throws, for any bytes. */
export function parseP0fPacket(bytes: Uint8Array): P0fParse {
  try {
    return parse(bytes);
  } catch (error) {
    // Defensive only: every read below is bounds-checked first.
    return { ok: false, reason: `unparseable packet: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function parse(data: Uint8Array): P0fParse {
  const packetLen = Math.min(data.length, SNAPLEN);
  if (packetLen < MIN_TCP4)
    return { ok: false, reason: `packet of ${packetLen} bytes is too short for IPv4 + TCP headers` };
  const version = data[0]! >> 4;
  const ip = version === 4 ? parseIpv4(data, packetLen) : version === 6 ? parseIpv6(data, packetLen) : null;
  if (ip === null) return { ok: false, reason: `not an IP packet (version nibble ${version})` };
  if (!ip.ok) return ip;
  return parseTcp(data, ip.header);
}

/** What the IP layer leaves for the TCP parse: p0f's packet_data fields so far. */
interface IpLayer {
  version: 4 | 6;
  src: string;
  dst: string;
  ttl: number;
  tos: number;
  ipId: number;
  df: boolean;
  ipOptLen: number;
  flowLabel: number | null;
  extensions: number[] | null;
  quirks: Set<Quirk>;
  /** Where TCP starts, how many bytes from there on belong to the packet, and p0f's tot_hdr so far. */
  tcpStart: number;
  tcpBytes: number;
  ipHeaderBytes: number;
}

type IpParse = { ok: true; header: IpLayer } | { ok: false; reason: string };

function parseIpv4(data: Uint8Array, captured: number): IpParse {
  let packetLen = captured;
  const hdrLen = (data[0]! & 0x0f) * 4;
  const totLen = u16(data, 2);
  const flagsOff = u16(data, 6);

  // p0f honours a shorter IPv4 total length (etherleak padding) and rejects a longer one.
  if (packetLen > totLen) packetLen = totLen;
  if (packetLen < MIN_TCP4)
    return { ok: false, reason: `IPv4 total length ${totLen} is too short for IPv4 + TCP headers` };
  if (hdrLen < IPV4_HEADER) return { ok: false, reason: `IPv4 header length ${hdrLen} is below 20` };
  if (totLen > packetLen)
    return { ok: false, reason: `truncated: IPv4 total length ${totLen} but only ${packetLen} bytes captured` };
  if (hdrLen + TCP_HEADER > packetLen)
    return { ok: false, reason: `IPv4 header length ${hdrLen} leaves no room for TCP` };
  if (data[9] !== 6) return { ok: false, reason: `not TCP (IP protocol ${data[9]})` };
  if (flagsOff & ~(IP4_DF | IP4_MBZ)) return { ok: false, reason: 'IP fragment' };

  const quirks = new Set<Quirk>();
  const tos = data[1]!;
  if (tos & 0x03) quirks.add('ecn');
  if (flagsOff & IP4_MBZ) quirks.add('0+');
  const ipId = u16(data, 4);
  const df = (flagsOff & IP4_DF) !== 0;
  if (df) {
    quirks.add('df');
    if (ipId) quirks.add('id+');
  } else if (!ipId) {
    quirks.add('id-');
  }
  return {
    ok: true,
    header: {
      version: 4,
      src: dotted(data, 12),
      dst: dotted(data, 16),
      ttl: data[8]!,
      tos,
      ipId,
      df,
      ipOptLen: hdrLen - IPV4_HEADER,
      flowLabel: null,
      extensions: null,
      quirks,
      tcpStart: hdrLen,
      tcpBytes: packetLen - hdrLen,
      ipHeaderBytes: hdrLen,
    },
  };
}

/**
 * p0f's IPv6 branch. p0f drops every packet whose next header is not TCP
 * ("one day, we may try to parse and skip IPv6 extensions"); we walk the
 * extension headers and then read the packet exactly as p0f reads the same
 * packet without them, so `p0f_sig` is what p0f prints once they are
 * stripped, and the headers themselves are recorded apart.
 */
function parseIpv6(data: Uint8Array, captured: number): IpParse {
  let packetLen = captured;
  const verTos = u32(data, 0);
  const totLen = u16(data, 4) + IPV6_HEADER;
  if (packetLen > totLen) packetLen = totLen;
  if (totLen > packetLen)
    return { ok: false, reason: `truncated: IPv6 length ${totLen} but only ${packetLen} bytes captured` };

  const extensions: number[] = [];
  let next = data[6]!;
  let at = IPV6_HEADER;
  while (next !== 6) {
    if (extensions.length >= MAX_IPV6_EXTENSIONS)
      return { ok: false, reason: `more than ${MAX_IPV6_EXTENSIONS} IPv6 extension headers` };
    if (at + 8 > packetLen) return { ok: false, reason: 'IPv6 extension headers run past the end of the packet' };
    if (next === IPV6_FRAGMENT) {
      if (u16(data, at + 2) & 0xfff9) return { ok: false, reason: 'IP fragment' };
    } else if (!IPV6_EXTENSIONS.has(next)) {
      return { ok: false, reason: `not TCP (IPv6 next header ${next})` };
    }
    extensions.push(next);
    const size = next === IPV6_FRAGMENT ? 8 : next === 51 ? (data[at + 1]! + 2) * 4 : (data[at + 1]! + 1) * 8;
    next = data[at]!;
    at += size;
  }
  const extBytes = at - IPV6_HEADER;
  // The checks p0f makes, on the packet as it would be without extension headers.
  if (packetLen - extBytes < MIN_TCP6) {
    return { ok: false, reason: `IPv6 length ${packetLen - extBytes} is too short for IPv6 + TCP headers` };
  }

  const quirks = new Set<Quirk>();
  if (verTos & 0xfffff) quirks.add('flow');
  if ((verTos >>> 20) & 0x03) quirks.add('ecn');
  return {
    ok: true,
    header: {
      version: 6,
      src: ipv6Text(data, 8),
      dst: ipv6Text(data, 24),
      ttl: data[7]!,
      tos: (verTos >>> 20) & 0xff,
      ipId: 0,
      df: false,
      ipOptLen: 0,
      flowLabel: verTos & 0xfffff,
      extensions,
      quirks,
      tcpStart: at,
      tcpBytes: packetLen - at,
      ipHeaderBytes: IPV6_HEADER,
    },
  };
}

function parseTcp(data: Uint8Array, ip: IpLayer): P0fParse {
  const quirks = ip.quirks;
  const packetLen = ip.tcpBytes;
  const t = ip.tcpStart; // TCP header start
  const doff = (data[t + 12]! >> 4) * 4;
  if (doff < TCP_HEADER) return { ok: false, reason: `TCP data offset ${doff} is below 20` };
  if (doff > packetLen) return { ok: false, reason: `TCP data offset ${doff} runs past the end of the packet` };

  const flags = data[t + 13]!;
  const tcpType = flags & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST);
  if ((flags & TCP_SYN && flags & (TCP_FIN | TCP_RST)) || (flags & TCP_FIN && flags & TCP_RST) || !tcpType) {
    return { ok: false, reason: `nonsensical TCP flags 0x${flags.toString(16).padStart(2, '0')}` };
  }

  const win = u16(data, t + 14);
  const seq = u32(data, t + 4);
  if (flags & (TCP_ECE | TCP_CWR) || data[t + 12]! & 0x01) quirks.add('ecn');
  if (!seq) quirks.add('seq-');
  if (flags & TCP_ACK) {
    if (!u32(data, t + 8)) quirks.add('ack-');
  } else if (data[t + 8]! & 1 && !(flags & TCP_RST)) {
    // p0f tests `RD32(ack) & !(flags & RST)`: a bitwise AND with 1, on a
    // little-endian read, i.e. the low bit of the ACK number's first byte.
    quirks.add('ack+');
  }
  if (flags & TCP_URG) quirks.add('urgf+');
  else if (u16(data, t + 18)) quirks.add('uptr+');
  if (flags & TCP_PUSH) quirks.add('pushf+');

  const payloadLength = packetLen - doff;

  // Options, walked as p0f walks them.
  const optEnd = t + doff;
  let p = t + TCP_HEADER;
  const optLayout: number[] = [];
  let optEolPad = 0;
  let mss: number | null = null;
  let wscale: number | null = null;
  let tsval: number | null = null;
  let aborted = false;

  options: while (p < optEnd && optLayout.length < MAX_TCP_OPT) {
    const kind = data[p++]!;
    optLayout.push(kind);
    switch (kind) {
      case OPT_EOL: {
        optEolPad = optEnd - p;
        // Same loop as p0f: stops one past the first non-zero byte, so a
        // non-zero byte in the very last position goes unnoticed.
        while (p < optEnd && !data[p++]);
        if (p !== optEnd) {
          quirks.add('opt+');
          p = optEnd;
        }
        break;
      }
      case OPT_NOP:
        break;
      case OPT_MSS:
        if (p + 3 > optEnd) {
          aborted = true;
          break options;
        }
        if (data[p] !== 4) quirks.add('bad');
        mss = u16(data, p + 1);
        p += 3;
        break;
      case OPT_WS:
        if (p + 2 > optEnd) {
          aborted = true;
          break options;
        }
        if (data[p] !== 3) quirks.add('bad');
        wscale = data[p + 1]!;
        if (wscale > 14) quirks.add('exws');
        p += 2;
        break;
      case OPT_SACKOK:
        if (p + 1 > optEnd) {
          aborted = true;
          break options;
        }
        if (data[p] !== 2) quirks.add('bad');
        p += 1;
        break;
      case OPT_SACK: {
        if (p === optEnd) {
          aborted = true;
          break options;
        }
        const len = data[p]!;
        if (len < 10 || len > 34 || p - 1 + len > optEnd) {
          aborted = true;
          break options;
        }
        p += len - 1;
        break;
      }
      case OPT_TS:
        if (p + 9 > optEnd) {
          aborted = true;
          break options;
        }
        if (data[p] !== 10) quirks.add('bad');
        tsval = u32(data, p + 1);
        if (!tsval) quirks.add('ts1-');
        if (tcpType === TCP_SYN && u32(data, p + 5)) quirks.add('ts2+');
        p += 9;
        break;
      default: {
        if (p === optEnd) {
          aborted = true;
          break options;
        }
        const len = data[p]!;
        if (len < 2 || len > 40 || p - 1 + len > optEnd) {
          aborted = true;
          break options;
        }
        p += len - 1;
      }
    }
  }
  if (aborted || p !== optEnd) quirks.add('bad');

  return {
    ok: true,
    packet: {
      version: ip.version,
      src: ip.src,
      dst: ip.dst,
      srcPort: u16(data, t),
      dstPort: u16(data, t + 2),
      ttl: ip.ttl,
      tos: ip.tos,
      ipId: ip.ipId,
      df: ip.df,
      ipOptLen: ip.ipOptLen,
      flowLabel: ip.flowLabel,
      extensions: ip.extensions,
      totHdr: ip.ipHeaderBytes + doff,
      tcpType,
      flags,
      win,
      seq,
      payloadLength,
      quirks,
      optLayout,
      optEolPad,
      mss,
      wscale,
      tsval,
      // A view: a copy would be an ArrayBuffer of its own for every packet parsed.
      options: data.subarray(t + TCP_HEADER, optEnd),
    },
  };
}

/** p0f's option layout text, e.g. `mss,nop,ws,sok,ts` or `mss,eol+3` or `?30`. */
export function formatOptionLayout(layout: readonly number[], eolPad: number): string {
  return layout
    .map((kind) => {
      switch (kind) {
        case OPT_EOL:
          return `eol+${eolPad}`;
        case OPT_NOP:
          return 'nop';
        case OPT_MSS:
          return 'mss';
        case OPT_WS:
          return 'ws';
        case OPT_SACKOK:
          return 'sok';
        case OPT_SACK:
          return 'sack';
        case OPT_TS:
          return 'ts';
        default:
          return `?${kind}`;
      }
    })
    .join(',');
}

/** p0f's quirk text, in p0f's order, e.g. `df,id+,ecn`. */
export function formatQuirks(quirks: ReadonlySet<Quirk>): string {
  return QUIRK_ORDER.filter((q) => quirks.has(q)).join(',');
}
