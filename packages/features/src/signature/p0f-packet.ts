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
const TCP_HEADER = 20;
const MIN_TCP4 = IPV4_HEADER + TCP_HEADER;
const MAX_TCP_OPT = 24;
const SNAPLEN = 65535;

const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WS = 3;
const OPT_SACKOK = 4;
const OPT_SACK = 5;
const OPT_TS = 8;

/** What p0f keeps of one TCP/IPv4 packet (its struct packet_data), plus the raw fields our columns need. */
export interface P0fPacket {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  ttl: number;
  tos: number; // full TOS byte
  ipId: number;
  df: boolean;
  ipOptLen: number;
  /** IP header length + TCP header length (p0f's tot_hdr). */
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
  /** Raw option bytes (after the 20-byte TCP header, up to data offset). */
  options: Uint8Array;
}

export type P0fParse = { ok: true; packet: P0fPacket } | { ok: false; reason: string };

const dotted = (b: Uint8Array, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

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
  let packetLen = Math.min(data.length, SNAPLEN);
  if (packetLen < MIN_TCP4)
    return { ok: false, reason: `packet of ${packetLen} bytes is too short for IPv4 + TCP headers` };
  const version = data[0]! >> 4;
  if (version !== 4)
    return {
      ok: false,
      reason: version === 6 ? 'IPv6 packets are not supported' : `not an IP packet (version nibble ${version})`,
    };

  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const hdrLen = (data[0]! & 0x0f) * 4;
  const totLen = view.getUint16(2);
  const flagsOff = view.getUint16(6);

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
  const ipId = view.getUint16(4);
  const df = (flagsOff & IP4_DF) !== 0;
  if (df) {
    quirks.add('df');
    if (ipId) quirks.add('id+');
  } else if (!ipId) {
    quirks.add('id-');
  }

  const t = hdrLen; // TCP header start
  packetLen -= hdrLen;
  const doff = (data[t + 12]! >> 4) * 4;
  if (doff < TCP_HEADER) return { ok: false, reason: `TCP data offset ${doff} is below 20` };
  if (doff > packetLen) return { ok: false, reason: `TCP data offset ${doff} runs past the end of the packet` };

  const flags = data[t + 13]!;
  const tcpType = flags & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST);
  if ((flags & TCP_SYN && flags & (TCP_FIN | TCP_RST)) || (flags & TCP_FIN && flags & TCP_RST) || !tcpType) {
    return { ok: false, reason: `nonsensical TCP flags 0x${flags.toString(16).padStart(2, '0')}` };
  }

  const win = view.getUint16(t + 14);
  const seq = view.getUint32(t + 4);
  if (flags & (TCP_ECE | TCP_CWR) || data[t + 12]! & 0x01) quirks.add('ecn');
  if (!seq) quirks.add('seq-');
  if (flags & TCP_ACK) {
    if (!view.getUint32(t + 8)) quirks.add('ack-');
  } else if (data[t + 8]! & 1 && !(flags & TCP_RST)) {
    // p0f tests `RD32(ack) & !(flags & RST)`: a bitwise AND with 1, on a
    // little-endian read, i.e. the low bit of the ACK number's first byte.
    quirks.add('ack+');
  }
  if (flags & TCP_URG) quirks.add('urgf+');
  else if (view.getUint16(t + 18)) quirks.add('uptr+');
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
        mss = view.getUint16(p + 1);
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
        tsval = view.getUint32(p + 1);
        if (!tsval) quirks.add('ts1-');
        if (tcpType === TCP_SYN && view.getUint32(p + 5)) quirks.add('ts2+');
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
      src: dotted(data, 12),
      dst: dotted(data, 16),
      srcPort: view.getUint16(t),
      dstPort: view.getUint16(t + 2),
      ttl: data[8]!,
      tos,
      ipId,
      df,
      ipOptLen: hdrLen - IPV4_HEADER,
      totHdr: hdrLen + doff,
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
      options: data.slice(t + TCP_HEADER, optEnd),
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
