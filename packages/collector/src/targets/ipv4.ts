import ipaddr from 'ipaddr.js';

/**
 * IPv4 addresses as unsigned 32-bit integers: ranges, sorting and the target
 * index all work on numbers, so a million targets cost a million numbers,
 * not a million objects.
 */
export type Ipv4Number = number;

/** True for a strict dotted quad (four decimal parts, no leading zeros games). */
export function isDottedQuad(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text) && !/(^|\.)0\d/.test(text);
}

export function ipv4ToNumber(dottedQuad: string): Ipv4Number {
  const octets = ipaddr.IPv4.parse(dottedQuad).octets;
  return ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
}

export function numberToIpv4(value: Ipv4Number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** An inclusive range of addresses, from a CIDR block. */
export interface Ipv4Range {
  readonly first: Ipv4Number;
  readonly last: Ipv4Number;
}

/** Parses `a.b.c.d/n`; throws an Error naming the problem. Host bits must be zero. */
export function parseCidr(text: string): Ipv4Range & { prefix: number } {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`"${text}" is not a CIDR block (expected a.b.c.d/n)`);
  const base = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!isDottedQuad(base)) throw new Error(`"${base}" is not an IPv4 address`);
  if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) {
    throw new Error(`"/${prefixText}" is not a prefix length between 0 and 32`);
  }
  const prefix = Number(prefixText);
  const size = 2 ** (32 - prefix);
  const first = ipv4ToNumber(base);
  if (first % size !== 0) {
    throw new Error(`"${text}" has host bits set (did you mean ${numberToIpv4(first - (first % size))}/${prefix}?)`);
  }
  return { first, last: first + size - 1, prefix };
}
