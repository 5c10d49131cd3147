/**
 * The lab's DNS zone, computed rather than listed: dnsmasq's sequential
 * `--synth-domain` maps `<alias>-<n>.osfp-lab.test` to 198.19.0.0 + n for each
 * alias word, so one address has as many names as there are aliases and a
 * million names cost no memory and no start-up time (a 1M-line addn-hosts file
 * would have to be written and loaded at every `up`; see the README).
 */
import {
  EMULATED_BASE,
  EMULATED_END,
  HOSTILE_BASE,
  LAB_DOMAIN,
  PERSONALITY_BASE,
  ipToNumber,
  numberToIp,
} from './plan.ts';
import { labIpv6 } from './ipv6.ts';

/** Name prefixes; each gives every personality address one more name. */
export const ALIASES: readonly string[] = [
  'www',
  'shop',
  'mail',
  'api',
  'blog',
  'news',
  'cdn',
  'app',
  'portal',
  'static',
  'img',
  'dev',
  'docs',
  'store',
  'forum',
  'wiki',
  'media',
  'auth',
  'login',
  'cloud',
  'files',
  'search',
  'video',
  'music',
  'maps',
  'pay',
  'status',
  'help',
  'games',
  'jobs',
];

/**
 * Emulated hosts' names put this letter before the number (`www-e5` is
 * 198.18.4.5): a second sequential range per alias, so existing names keep
 * their addresses. Names say nothing about the OS behind them.
 */
export const EMULATED_NAME_MARK = 'e';

/** Prefix of the hostile hosts' names (odd-1 .. odd-5), outside the alias words. */
export const HOSTILE_NAME_PREFIX = 'odd';

const PERSONALITY_RANGE_END = PERSONALITY_BASE + 65_535;
const HOSTILE_RANGE_END = HOSTILE_BASE + 255;

/** The lab name for `ip` under alias number `alias`, or null when no synthesized name covers it. */
export function labName(ip: string, alias = 0): string | null {
  const value = ipToNumber(ip);
  const word = ALIASES[alias];
  if (word !== undefined && value >= PERSONALITY_BASE && value <= PERSONALITY_RANGE_END) {
    return `${word}-${value - PERSONALITY_BASE}.${LAB_DOMAIN}`;
  }
  if (word !== undefined && value >= EMULATED_BASE && value <= EMULATED_END) {
    return `${word}-${EMULATED_NAME_MARK}${value - EMULATED_BASE}.${LAB_DOMAIN}`;
  }
  if (alias === 0 && value >= HOSTILE_BASE && value <= HOSTILE_RANGE_END) {
    return `${HOSTILE_NAME_PREFIX}-${value - HOSTILE_BASE}.${LAB_DOMAIN}`;
  }
  return null;
}

/** The IPv6 address dnsmasq answers (AAAA) for a lab name, or null when the name has none (emulated OSes, unknown names). */
export function labNameAddress6(name: string): string | null {
  const v4 = labNameAddress(name);
  if (v4 === null || /^[a-z]+-e/.test(name.toLowerCase())) return null;
  return labIpv6(v4);
}

/** The IPv4 address dnsmasq answers (A) for a lab name, or null when the name is not in the zone. */
export function labNameAddress(name: string): string | null {
  const match = /^([a-z]+)-(e?)(0|[1-9][0-9]*)\.(.+?)\.?$/.exec(name.toLowerCase());
  if (!match || match[4] !== LAB_DOMAIN) return null;
  const [, word = '', mark = '', digits = ''] = match;
  const n = Number(digits);
  if (mark === EMULATED_NAME_MARK) {
    return ALIASES.includes(word) && n <= EMULATED_END - EMULATED_BASE ? numberToIp(EMULATED_BASE + n) : null;
  }
  if (word === HOSTILE_NAME_PREFIX) return n <= 255 ? numberToIp(HOSTILE_BASE + n) : null;
  if (!ALIASES.includes(word) || n > 65_535) return null;
  return numberToIp(PERSONALITY_BASE + n);
}

/** dnsmasq options that serve the zone (and nothing else: no upstream, no hosts file). */
export function dnsmasqZoneOptions(): string[] {
  const personalityRange = `${numberToIp(PERSONALITY_BASE)},${numberToIp(PERSONALITY_RANGE_END)}`;
  const hostileRange = `${numberToIp(HOSTILE_BASE)},${numberToIp(HOSTILE_RANGE_END)}`;
  const emulatedRange = `${numberToIp(EMULATED_BASE)},${numberToIp(EMULATED_END)}`;
  // AAAA: the personalities' and hostile hosts' IPv6 twins (ipv6.ts), with the same sequential numbers as their
  // A records; the emulated OSes are IPv4 only. dnsmasq takes a sequential IPv6 range as a prefix only.
  const personality6 = `${labIpv6(numberToIp(PERSONALITY_BASE))}/112`;
  const hostile6 = `${labIpv6(numberToIp(HOSTILE_BASE))}/120`;
  return [
    ...ALIASES.map((word) => `--synth-domain=${LAB_DOMAIN},${personalityRange},${word}-*`),
    ...ALIASES.map((word) => `--synth-domain=${LAB_DOMAIN},${personality6},${word}-*`),
    `--synth-domain=${LAB_DOMAIN},${hostile6},${HOSTILE_NAME_PREFIX}-*`,
    ...ALIASES.map((word) => `--synth-domain=${LAB_DOMAIN},${emulatedRange},${word}-${EMULATED_NAME_MARK}*`),
    `--synth-domain=${LAB_DOMAIN},${hostileRange},${HOSTILE_NAME_PREFIX}-*`,
    // Names in the zone that no rule covers get NXDOMAIN here instead of a forward attempt.
    `--local=/${LAB_DOMAIN}/`,
  ];
}
