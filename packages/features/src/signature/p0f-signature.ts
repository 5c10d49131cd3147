/**
 * p0f 3.09b's signature arithmetic (fp_tcp.c): TTL distance guessing, the
 * window expression, and the raw_sig text it prints for a packet.
 */
import { formatOptionLayout, formatQuirks, TCP_ACK, TCP_SYN, type P0fPacket } from './p0f-packet.ts';

/** p0f's MAX_DIST: beyond it, raw_sig prints `ttl+?`. */
const MAX_DIST = 35;
/** The MSS p0f-sendsyn puts in its probes; p0f prints `*` when a SYN+ACK echoes it. */
const SPECIAL_MSS = 1331;
const MIN_TCP4 = 40;
const MIN_TCP6 = 60;

/** Initial TTL p0f assumes for an observed TTL (guess_dist). */
export function initialTtl(ttl: number): 32 | 64 | 128 | 255 {
  if (ttl <= 32) return 32;
  if (ttl <= 64) return 64;
  if (ttl <= 128) return 128;
  return 255;
}

export interface WindowMultiple {
  unit: 'mss' | 'mtu';
  factor: number;
}

/**
 * detect_win_multi(): is the window a multiple of the MSS, MSS-12, a 1500-byte
 * MTU's MSS, the MTU, or (on SYN+ACKs) the peer SYN's MSS? `synMss` is the
 * SYN's MSS, 0 when unknown. Returns null when p0f prints the plain number.
 */
export function windowMultiple(packet: P0fPacket, synMss: number): WindowMultiple | null {
  const win = packet.win;
  const mss = packet.mss ?? 0;
  if (!win || mss < 100) return null;
  const candidates: Array<[divisor: number, unit: WindowMultiple['unit']]> = [[mss, 'mss']];
  if (packet.tsval) candidates.push([mss - 12, 'mss']);
  candidates.push([1500 - MIN_TCP4, 'mss'], [1500 - MIN_TCP4 - 12, 'mss']);
  const v6 = packet.version === 6;
  if (v6) candidates.push([1500 - MIN_TCP6, 'mss'], [1500 - MIN_TCP6 - 12, 'mss']);
  candidates.push([mss + MIN_TCP4, 'mtu'], [mss + packet.totHdr, 'mtu']);
  if (v6) candidates.push([mss + MIN_TCP6, 'mtu']);
  candidates.push([1500, 'mtu']);
  if (synMss) candidates.push([synMss, 'mss'], [synMss - 12, 'mss']);
  for (const [divisor, unit] of candidates) {
    if (divisor !== 0 && win % divisor === 0) {
      // p0f returns the quotient as a signed 16-bit value and prints it only when positive.
      const factor = (Math.trunc(win / divisor) << 16) >> 16;
      return factor > 0 ? { unit, factor } : null;
    }
  }
  return null;
}

/** The window part of a signature: `mss*N`, `mtu*N` or the plain window. */
export function windowExpression(packet: P0fPacket, synMss: number): string {
  const multiple = windowMultiple(packet, synMss);
  return multiple ? `${multiple.unit}*${multiple.factor}` : String(packet.win);
}

/** p0f's dump_sig(): the exact raw_sig text. */
export function rawSignature(packet: P0fPacket, synMss: number): string {
  return signatureText(
    packet,
    windowExpression(packet, synMss),
    formatOptionLayout(packet.optLayout, packet.optEolPad),
    formatQuirks(packet.quirks),
  );
}

/**
 * rawSignature from its window, option layout and quirks parts already
 * formatted: the extractor formats them for their own columns, and the
 * three together cost more than the rest of the signature.
 */
export function signatureText(packet: P0fPacket, window: string, olayout: string, quirks: string): string {
  const ttl = packet.ttl;
  const dist = initialTtl(ttl) - ttl;
  const mss = packet.mss ?? 0;
  const mssText = mss === SPECIAL_MSS && packet.tcpType === (TCP_SYN | TCP_ACK) ? '*' : String(mss);
  return `${packet.version}:${ttl}+${dist > MAX_DIST ? '?' : dist}:${packet.ipOptLen}:${mssText}:${window},${packet.wscale ?? 0}:${olayout}:${quirks}:${packet.payloadLength ? '+' : '0'}`;
}
