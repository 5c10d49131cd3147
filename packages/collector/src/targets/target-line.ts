import { parseAddress, parseAddressCidr, rangeSize, type AddressNumber, type IpFamily } from './address.ts';

/**
 * One line of a targets file, understood. Accepted forms, one per line:
 * Tranco `rank,domain`, a domain name, an IPv4 or IPv6 address, an IPv4 CIDR
 * block or a small IPv6 prefix. `#` starts a comment; blank lines are ignored.
 */
export type TargetLine =
  | { readonly kind: 'domain'; readonly line: number; readonly name: string }
  | { readonly kind: 'ip'; readonly line: number; readonly ip: string; readonly family: IpFamily }
  | {
      readonly kind: 'cidr';
      readonly line: number;
      readonly cidr: string;
      readonly family: IpFamily;
      readonly first: AddressNumber;
      readonly last: AddressNumber;
    }
  | { readonly kind: 'malformed'; readonly line: number; readonly text: string; readonly reason: string };

/** Larger IPv4 blocks are almost always a typo; the user can split them if meant. */
export const MAX_CIDR_PREFIX = 8;
/**
 * The most addresses one block may hold: a /8 for IPv4, a /104 for IPv6.
 * IPv6 prefixes as routed (/64, /48) hold more addresses than any scan can
 * visit, almost all unused: list the addresses or a small prefix instead.
 */
export const MAX_BLOCK_ADDRESSES = 2n ** 24n;
export const MAX_IPV6_PREFIX = 104;

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Returns null for lines that carry no target (blank, comment, the Tranco header). */
export function parseTargetLine(raw: string, line: number): TargetLine | null {
  let text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
  const hash = text.indexOf('#');
  if (hash >= 0) text = text.slice(0, hash);
  text = text.trim();
  if (text === '') return null;

  if (text.includes(',')) {
    const fields = text.split(',').map((f) => f.trim());
    if (fields.length === 2 && /^rank$/i.test(fields[0]!) && /^domain$/i.test(fields[1]!)) return null;
    if (fields.length !== 2 || !/^\d+$/.test(fields[0]!)) {
      return malformed(line, raw, 'expected Tranco "rank,domain" (two fields, the first a number)');
    }
    text = fields[1]!;
  }

  if (text.includes('/')) {
    try {
      const range = parseAddressCidr(text);
      if (rangeSize(range) > MAX_BLOCK_ADDRESSES) {
        return malformed(
          line,
          raw,
          range.family === 4
            ? `CIDR block larger than /${MAX_CIDR_PREFIX}; split it into smaller blocks`
            : `IPv6 prefix /${range.prefix} holds 2^${128 - range.prefix} addresses, too many to enumerate; list addresses or prefixes of /${MAX_IPV6_PREFIX} or longer`,
        );
      }
      return { kind: 'cidr', line, cidr: text, family: range.family, first: range.first, last: range.last };
    } catch (error) {
      return malformed(line, raw, (error as Error).message);
    }
  }
  if (/^[\d.]+$/.test(text)) {
    const address = parseAddress(text);
    return address
      ? { kind: 'ip', line, ip: address.text, family: 4 }
      : malformed(line, raw, 'not a valid IPv4 address');
  }
  if (text.includes(':')) {
    const address = parseAddress(text.replace(/^\[(.*)\]$/, '$1'));
    return address
      ? { kind: 'ip', line, ip: address.text, family: address.family }
      : malformed(line, raw, 'not a valid IPv6 address');
  }

  const name = text.toLowerCase().replace(/\.$/, '');
  if (name.length > 253 || !name.split('.').every((label) => LABEL.test(label))) {
    return malformed(line, raw, 'not a valid domain name');
  }
  return { kind: 'domain', line, name };
}

function malformed(line: number, raw: string, reason: string): TargetLine {
  return { kind: 'malformed', line, text: raw.trim().slice(0, 200), reason };
}
