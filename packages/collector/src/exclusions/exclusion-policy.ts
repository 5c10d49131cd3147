import { readFile } from 'node:fs/promises';
import { CollectInputError } from '../collect-input-error.ts';
import { ipv4ToNumber, parseCidr, type Ipv4Number, type Ipv4Range } from '../targets/ipv4.ts';
import { isDottedQuad } from '../targets/ipv4.ts';
import { describeFsError } from '../config/input-files.ts';
import { IANA_SPECIAL_PURPOSE_IPV4 } from './special-purpose.ts';

/** Why an address may not be probed; null when it may. */
export type ExclusionReason = 'special-purpose' | 'exclude-file' | null;

/**
 * Decides, for every address, whether it may receive a packet. Order:
 * an --exclude entry always wins (a user's opt-out is never overridden), then
 * --allow opens a range, then the IANA special-purpose ranges close theirs.
 */
export class ExclusionPolicy {
  private readonly special: readonly Ipv4Range[];
  private readonly allowed: readonly Ipv4Range[];
  private readonly excluded: readonly Ipv4Range[];

  constructor(options: { allow?: readonly string[]; exclude?: readonly string[] } = {}) {
    this.special = IANA_SPECIAL_PURPOSE_IPV4.map((entry) => parseCidr(entry.cidr));
    this.allowed = (options.allow ?? []).map((cidr) => rangeOf(cidr, '--allow'));
    this.excluded = (options.exclude ?? []).map((cidr) => rangeOf(cidr, 'exclude list'));
  }

  reasonFor(ip: string | Ipv4Number): ExclusionReason {
    const n = typeof ip === 'number' ? ip : ipv4ToNumber(ip);
    if (inAny(this.excluded, n)) return 'exclude-file';
    if (inAny(this.allowed, n)) return null;
    if (inAny(this.special, n)) return 'special-purpose';
    return null;
  }

  isExcluded(ip: string | Ipv4Number): boolean {
    return this.reasonFor(ip) !== null;
  }
}

/** Reads an exclude file: one IPv4 address or CIDR block per line, `#` comments (the ZMap blocklist format). */
export async function readExcludeFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CollectInputError(`exclude file ${path} cannot be read: ${describeFsError(error)}`);
  }
  const entries: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') return;
      const cidr = line.includes('/') ? line : `${line}/32`;
      try {
        parseCidr(cidr);
      } catch (error) {
        throw new CollectInputError(`exclude file ${path}, line ${index + 1}: ${(error as Error).message}`);
      }
      entries.push(cidr);
    });
  return entries;
}

function rangeOf(text: string, source: string): Ipv4Range {
  const cidr = isDottedQuad(text) ? `${text}/32` : text;
  try {
    return parseCidr(cidr);
  } catch (error) {
    throw new CollectInputError(`${source}: ${(error as Error).message}`);
  }
}

function inAny(ranges: readonly Ipv4Range[], n: Ipv4Number): boolean {
  for (const range of ranges) if (n >= range.first && n <= range.last) return true;
  return false;
}
