import { readFile } from 'node:fs/promises';
import { CollectInputError } from '../collect-input-error.ts';
import {
  addressToNumber,
  familyOfNumber,
  parseAddress,
  parseAddressCidr,
  type AddressNumber,
  type AddressRange,
} from '../targets/address.ts';
import { describeFsError } from '../config/input-files.ts';
import { IANA_SPECIAL_PURPOSE_IPV4, IANA_SPECIAL_PURPOSE_IPV6 } from './special-purpose.ts';

/** Why an address may not be probed; null when it may. */
export type ExclusionReason = 'special-purpose' | 'exclude-file' | null;

/**
 * Decides, for every address of either family, whether it may receive a
 * packet. Order: an --exclude entry always wins (a user's opt-out is never
 * overridden), then --allow opens a range, then the IANA special-purpose
 * ranges of the address's family close theirs.
 *
 * Ranges are kept per family: in the one number space addresses share
 * (IPv4 as ::ffff:a.b.c.d), the IPv6 registry's ::ffff:0:0/96 entry would
 * otherwise close every IPv4 address.
 */
export class ExclusionPolicy {
  private readonly special: readonly AddressRange[];
  private readonly allowed: readonly AddressRange[];
  private readonly excluded: readonly AddressRange[];

  constructor(options: { allow?: readonly string[]; exclude?: readonly string[] } = {}) {
    this.special = [...IANA_SPECIAL_PURPOSE_IPV4, ...IANA_SPECIAL_PURPOSE_IPV6].map((entry) =>
      parseAddressCidr(entry.cidr),
    );
    this.allowed = (options.allow ?? []).map((cidr) => rangeOf(cidr, '--allow'));
    this.excluded = (options.exclude ?? []).map((cidr) => rangeOf(cidr, 'exclude list'));
  }

  /** `ip`: an address text of either family, or its number (targets/address.ts). */
  reasonFor(ip: string | AddressNumber): ExclusionReason {
    const n = typeof ip === 'bigint' ? ip : addressToNumber(ip);
    const family = familyOfNumber(n);
    if (inAny(this.excluded, family, n)) return 'exclude-file';
    if (inAny(this.allowed, family, n)) return null;
    if (inAny(this.special, family, n)) return 'special-purpose';
    return null;
  }

  isExcluded(ip: string | AddressNumber): boolean {
    return this.reasonFor(ip) !== null;
  }
}

/** Reads an exclude file: one IPv4/IPv6 address or CIDR block per line, `#` comments (the ZMap blocklist format). */
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
      try {
        entries.push(cidrOf(line));
      } catch (error) {
        throw new CollectInputError(`exclude file ${path}, line ${index + 1}: ${(error as Error).message}`);
      }
    });
  return entries;
}

/** An address or a block as a block (a lone address is its /32 or /128); throws an Error naming the problem. */
function cidrOf(text: string): string {
  if (text.includes('/')) {
    parseAddressCidr(text);
    return text;
  }
  const address = parseAddress(text);
  if (!address) throw new Error(`"${text}" is not an IPv4 or IPv6 address or CIDR block`);
  return `${address.text}/${address.family === 4 ? 32 : 128}`;
}

function rangeOf(text: string, source: string): AddressRange {
  try {
    return parseAddressCidr(cidrOf(text));
  } catch (error) {
    throw new CollectInputError(`${source}: ${(error as Error).message}`);
  }
}

function inAny(ranges: readonly AddressRange[], family: 4 | 6, n: AddressNumber): boolean {
  for (const range of ranges) if (range.family === family && n >= range.first && n <= range.last) return true;
  return false;
}
