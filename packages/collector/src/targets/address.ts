import ipaddr from 'ipaddr.js';

/**
 * Target addresses of both families as one sortable 128-bit number: IPv6 as
 * itself, IPv4 as its IPv4-mapped IPv6 address (::ffff:a.b.c.d). The target
 * index stores, sorts and batches these (a DuckDB UHUGEINT), so a million
 * targets of either family cost a million numbers, not a million objects.
 * Text is canonical: a dotted quad, or IPv6 in RFC 5952 form (what ipaddr.js
 * prints, and what the capture keys SYN-ACKs by).
 */
export type AddressNumber = bigint;
export type IpFamily = 4 | 6;

const MAPPED_BASE = 0xffffn << 32n;

/** Which families a run probes: `--ip-version 4|6|both`. */
export type IpVersionChoice = '4' | '6' | 'both';
export const IP_VERSION_CHOICES: readonly IpVersionChoice[] = ['4', '6', 'both'];

export function familiesOf(choice: IpVersionChoice): ReadonlySet<IpFamily> {
  return new Set<IpFamily>(choice === 'both' ? [4, 6] : [Number(choice) as IpFamily]);
}

export function familyOfNumber(n: AddressNumber): IpFamily {
  return n >> 32n === 0xffffn ? 4 : 6;
}

export function ipv4ToAddressNumber(value: number): AddressNumber {
  return MAPPED_BASE + BigInt(value >>> 0);
}

/** A canonical address text to its number; throws on anything else. */
export function addressToNumber(text: string): AddressNumber {
  const parsed = ipaddr.parse(text);
  if (parsed.kind() === 'ipv4') return ipv4ToAddressNumber(ipv4Value(parsed as ipaddr.IPv4));
  let n = 0n;
  for (const part of (parsed as ipaddr.IPv6).parts) n = (n << 16n) | BigInt(part);
  return n;
}

export function numberToAddress(n: AddressNumber): string {
  if (familyOfNumber(n) === 4) {
    const v = Number(n & 0xffffffffn);
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((n >> shift) & 0xffffn));
  return new ipaddr.IPv6(parts).toString();
}

/**
 * A strict IPv4 dotted quad or an IPv6 address (no zone), as its family and
 * canonical text; null otherwise. An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * is the IPv4 target it maps, unless `mappedAsIpv4` is false (a block's base).
 */
export function parseAddress(text: string, mappedAsIpv4 = true): { family: IpFamily; text: string } | null {
  if (/^[\d.]+$/.test(text)) {
    return ipaddr.IPv4.isValidFourPartDecimal(text) && !/(^|\.)0\d/.test(text) ? { family: 4, text } : null;
  }
  if (!text.includes(':') || text.includes('%') || !ipaddr.IPv6.isValid(text)) return null;
  // An IPv4-mapped address is an IPv4 target written the IPv6 way.
  const parsed = ipaddr.IPv6.parse(text);
  if (mappedAsIpv4 && parsed.isIPv4MappedAddress()) return { family: 4, text: parsed.toIPv4Address().toString() };
  return { family: 6, text: parsed.toString() };
}

/** An inclusive range of address numbers, from a CIDR block of either family. */
export interface AddressRange {
  readonly family: IpFamily;
  readonly first: AddressNumber;
  readonly last: AddressNumber;
  readonly prefix: number;
}

/** Parses `a.b.c.d/n` or `x:y::/n`; throws an Error naming the problem. Host bits must be zero. */
export function parseAddressCidr(text: string): AddressRange {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`"${text}" is not a CIDR block (expected a.b.c.d/n or an IPv6 prefix x:y::/n)`);
  const base = parseAddress(text.slice(0, slash), false);
  if (!base) throw new Error(`"${text.slice(0, slash)}" is not an IPv4 or IPv6 address`);
  const bits = base.family === 4 ? 32 : 128;
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    throw new Error(`"/${prefixText}" is not a prefix length between 0 and ${bits}`);
  }
  const prefix = Number(prefixText);
  const size = 1n << BigInt(bits - prefix);
  const first = addressToNumber(base.text);
  const offset = base.family === 4 ? (first - MAPPED_BASE) % size : first % size;
  if (offset !== 0n) {
    throw new Error(`"${text}" has host bits set (did you mean ${numberToAddress(first - offset)}/${prefix}?)`);
  }
  return { family: base.family, first, last: first + size - 1n, prefix };
}

export function rangeSize(range: AddressRange): bigint {
  return range.last - range.first + 1n;
}

function ipv4Value(address: ipaddr.IPv4): number {
  const [a, b, c, d] = address.octets as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}
