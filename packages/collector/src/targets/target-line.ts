import { isDottedQuad, parseCidr } from './ipv4.ts';

/**
 * One line of a targets file, understood. Accepted forms, one per line:
 * Tranco `rank,domain`, a domain name, an IPv4 address, an IPv4 CIDR block.
 * `#` starts a comment; blank lines are ignored.
 */
export type TargetLine =
  | { readonly kind: 'domain'; readonly line: number; readonly name: string }
  | { readonly kind: 'ip'; readonly line: number; readonly ip: string }
  | {
      readonly kind: 'cidr';
      readonly line: number;
      readonly cidr: string;
      readonly first: number;
      readonly last: number;
    }
  | { readonly kind: 'malformed'; readonly line: number; readonly text: string; readonly reason: string };

/** Larger blocks are almost always a typo; the user can split them if meant. */
export const MAX_CIDR_PREFIX = 8;

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
      const range = parseCidr(text);
      if (range.prefix < MAX_CIDR_PREFIX) {
        return malformed(line, raw, `CIDR block larger than /${MAX_CIDR_PREFIX}; split it into smaller blocks`);
      }
      return { kind: 'cidr', line, cidr: text, first: range.first, last: range.last };
    } catch (error) {
      return malformed(line, raw, (error as Error).message);
    }
  }
  if (/^[\d.]+$/.test(text)) {
    return isDottedQuad(text) ? { kind: 'ip', line, ip: text } : malformed(line, raw, 'not a valid IPv4 address');
  }
  if (text.includes(':')) return malformed(line, raw, 'IPv6 targets are not supported (IPv4 only)');

  const name = text.toLowerCase().replace(/\.$/, '');
  if (name.length > 253 || !name.split('.').every((label) => LABEL.test(label))) {
    return malformed(line, raw, 'not a valid domain name');
  }
  return { kind: 'domain', line, name };
}

function malformed(line: number, raw: string, reason: string): TargetLine {
  return { kind: 'malformed', line, text: raw.trim().slice(0, 200), reason };
}
