/**
 * ICMP answers: port unreachable for UDP (Nmap's U1, with the fingerprint's
 * quirks in how the offending datagram is quoted back) and echo replies
 * (Nmap's IE: DF and code handling).
 */
import type { IeAnswer, U1Answer } from './host-profile.ts';
import { checksum, type Ipv4View } from './packets.ts';

/**
 * The ICMP body of a port unreachable for the datagram at `ip` in `frame`:
 * the original IP header and as much of its payload as IPL allows (IPL is the
 * whole answer's IP length: 20 + 8 + quote), altered as RIPL, RID, RIPCK,
 * RUCK and RUD say.
 */
export function portUnreachableQuote(frame: Buffer, ip: Ipv4View, u1: U1Answer): Buffer {
  const available = ip.headerLength + ip.l4Length;
  const wanted = Math.max(ip.headerLength + 8, u1.ipl - 28);
  const quote = Buffer.from(frame.subarray(ip.ip, ip.ip + Math.min(available, wanted)));
  if (u1.ripl !== null) quote.writeUInt16BE(u1.ripl & 0xffff, 2);
  if (u1.rid !== null) quote.writeUInt16BE(u1.rid & 0xffff, 4);
  quote.writeUInt16BE(0, 10);
  const good = checksum(quote, 0, ip.headerLength);
  quote.writeUInt16BE(u1.ripck === 'Z' ? 0 : u1.ripck === 'I' ? good ^ 0x5a5a || 1 : good, 10);
  const udp = ip.headerLength;
  if (u1.ruck !== null && quote.length >= udp + 8) quote.writeUInt16BE(u1.ruck & 0xffff, udp + 6);
  if (!u1.rudIntact && quote.length > udp + 8) quote[udp + 8] = (quote[udp + 8]! ^ 0xff) & 0xff;
  return quote;
}

/** DF and code of the echo reply to a request with `requestDf` and `requestCode`. */
export function echoReplyShape(ie: IeAnswer, requestDf: boolean, requestCode: number): { df: boolean; code: number } {
  const df = ie.dfi === 'Y' ? true : ie.dfi === 'N' ? false : ie.dfi === 'S' ? requestDf : !requestDf;
  let code: number;
  if (ie.cd.kind === 'value') code = ie.cd.code;
  else if (ie.cd.kind === 'Z') code = 0;
  else if (ie.cd.kind === 'S') code = requestCode;
  // "O": codes that differ between the two replies and are not the probes' own (9 then 0).
  else code = (requestCode + 1) & 0xff;
  return { df, code };
}
