/**
 * The lab's static address plan: namespace names, addresses and blocks, derived
 * from the prefix alone so every caller (CLI, tests, benchmarks) agrees on it
 * without asking a running lab.
 *
 * Every lab lives in its own namespaces with nothing in the root namespace, so
 * two labs with different prefixes use the same addresses without meeting.
 */
import { DEFAULT_EMULATED, type EmulatedOs, type EmulatedOsRequest } from './emulator/catalog.ts';
import { LabError } from './lab-error.ts';
import { PERSONALITIES, type PersonalityExpectation } from './personalities.ts';
import type { LabProfile } from './profile.ts';

export interface LabOptions {
  /** Namespace name prefix; default process.env.OSFP_LAB_PREFIX ?? 'osfp'. */
  prefix?: string;
  /**
   * Extra emulated OSes, by nmap-os-db `Fingerprint` name (optionally with
   * path conditions), on top of the defaults. An unknown name is an error
   * listing the closest names.
   */
  os?: EmulatedOsRequest[];
  /**
   * The network profile the lab's hosts sit behind (see profile.ts): null for
   * a free network. Left out, a running lab keeps the one it has (a lab that
   * must be built gets none); given, a lab running with another is rebuilt.
   */
  profile?: LabProfile | null;
}

export interface Personality {
  name: string;
  namespace: string;
  /** The block this personality answers on (a Linux `local` route). */
  cidr: string;
  firstHost: string;
  expect: PersonalityExpectation;
}

export type HostileBehaviour = 'silent' | 'garbage' | 'endless' | 'closed' | 'drop';

export interface HostileHost {
  behaviour: HostileBehaviour;
  ip: string;
  port: number;
}

export interface LabPlan {
  prefix: string;
  scannerNamespace: string;
  scannerAddress: string;
  /**
   * More addresses of the scanner, on its LAN interface, for the labeler's
   * Nmap processes to send from, one each (NmapSlots in @osfp/labeler says
   * why). The main scanner only; IPv4 only.
   */
  labelSources: { address: string; interface: string }[];
  dnsServer: string;
  domain: string;
  allowCidr: '198.18.0.0/15';
  /** The lab's IPv6 prefix (ipv6.ts): every dual-stack host's IPv6 address. */
  allowCidr6: 'fd00:18::/96';
  personalities: Personality[];
  hostile: HostileHost[];
  /** Namespace of the emulated OSes' responders (one LAN address, no local address for their blocks). */
  emulationNamespace: string;
  /** Emulated OSes: the defaults, then any extras. */
  emulated: EmulatedOs[];
  /** The network profile of a running lab (absent: a free network, or a plan not read from a running lab). */
  profile?: LabProfile;
}

export const LAB_CIDR = '198.18.0.0/15';
export const LAB_DOMAIN = 'osfp-lab.test';

/** The shared LAN every namespace is plugged into (a bridge in the hub namespace). */
export const LAN_CIDR = '198.18.0.0/24';
export const LAN_PREFIX_LENGTH = 24;
export const DNS_ADDRESS = '198.18.0.53';
export const SCANNER_ADDRESS = '198.18.0.10';
/** Extra scanners are numbered 2..MAX_SCANNER_INDEX, at 198.18.0.(9 + index). */
export const MAX_SCANNER_INDEX = 40;
/** Every scanner namespace's LAN interface. */
export const SCANNER_INTERFACE = 'eth0';
/** The main scanner's label source addresses, 198.18.0.150 - .181: one per Nmap process for up to 32 processes. */
export const LABEL_SOURCE_BASE = ipToNumber('198.18.0.150');
export const LABEL_SOURCE_COUNT = 32;

/** All personalities share 198.19.0.0/16, one /18 each (16,382 usable hosts). */
export const PERSONALITY_BASE = ipToNumber('198.19.0.0');
export const PERSONALITY_BLOCK_BITS = 14;
export const PERSONALITY_BLOCK_SIZE = 2 ** PERSONALITY_BLOCK_BITS;
/** Host offsets 1..size-2 inside a block: the all-zero and all-one addresses stay unused. */
export const HOSTS_PER_PERSONALITY = PERSONALITY_BLOCK_SIZE - 2;

/**
 * Emulated OSes: block k is 198.18.(4 + 4k).0/22 (1,022 hosts: the first and
 * last address of a block are never used), k = 0..60, all inside
 * 198.18.4.0 - 198.18.247.255: away from the LAN (198.18.0.0/24), the hostile
 * block and the personalities (198.19.0.0/16).
 */
export const EMULATED_BASE = ipToNumber('198.18.4.0');
export const EMULATED_BLOCK_BITS = 10;
export const EMULATED_BLOCK_SIZE = 2 ** EMULATED_BLOCK_BITS;
export const HOSTS_PER_EMULATED = EMULATED_BLOCK_SIZE - 2;
export const MAX_EMULATED = 61;
export const EMULATED_END = EMULATED_BASE + MAX_EMULATED * EMULATED_BLOCK_SIZE - 1;
export const EMULATED_LAN_ADDRESS = '198.18.0.90';
/** Prefixes that exactly cover every possible emulated block: the scanners' routes to the emulation namespace. */
export const EMULATED_ROUTES: readonly string[] = [
  '198.18.4.0/22',
  '198.18.8.0/21',
  '198.18.16.0/20',
  '198.18.32.0/19',
  '198.18.64.0/18',
  '198.18.128.0/18',
  '198.18.192.0/19',
  '198.18.224.0/20',
  '198.18.240.0/21',
];

export const HOSTILE_CIDR = '198.18.250.0/24';
export const HOSTILE_BASE = ipToNumber('198.18.250.0');
export const HOSTILE_BEHAVIOURS: readonly HostileBehaviour[] = ['silent', 'garbage', 'endless', 'closed', 'drop'];
export const HOSTILE_PORT = 80;

const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,9}$/;

/** Resolves and validates the prefix; throws a message naming the bad input. */
export function labPrefix(opts?: LabOptions): string {
  const prefix = opts?.prefix ?? process.env['OSFP_LAB_PREFIX'] ?? 'osfp';
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new LabError(
      `lab prefix "${prefix}" is invalid: use 1-10 lowercase letters or digits starting with a letter ` +
        '(it names network namespaces, e.g. "osfp" -> osfp-scan)',
    );
  }
  return prefix;
}

export function ipToNumber(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`"${ip}" is not an IPv4 address`);
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) throw new Error(`"${ip}" is not an IPv4 address`);
    value = value * 256 + octet;
  }
  return value;
}

export function numberToIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** The namespaces a lab consists of (extra scanners come on top, see scannerNamespace). */
export interface LabNamespaces {
  hub: string;
  scanner: string;
  hostile: string;
  personalities: string[];
  emulation: string;
}

export function labNamespaces(prefix: string): LabNamespaces {
  return {
    hub: `${prefix}-hub`,
    scanner: `${prefix}-scan`,
    hostile: `${prefix}-hostile`,
    personalities: PERSONALITIES.map((p) => `${prefix}-${p.name}`),
    emulation: `${prefix}-emu`,
  };
}

/** True for every namespace name a lab with this prefix may own, extra scanners included. */
export function isLabNamespace(prefix: string, name: string): boolean {
  const own = labNamespaces(prefix);
  if ([own.hub, own.scanner, own.hostile, own.emulation, ...own.personalities].includes(name)) return true;
  const extra = new RegExp(`^${prefix}-scan([0-9]+)$`).exec(name);
  const index = Number(extra?.[1] ?? NaN);
  return index >= 2 && index <= MAX_SCANNER_INDEX && String(index) === extra?.[1];
}

export function scannerNamespace(prefix: string, index: number): string {
  checkScannerIndex(index);
  return index === 1 ? `${prefix}-scan` : `${prefix}-scan${index}`;
}

export function scannerAddress(index: number): string {
  checkScannerIndex(index);
  return numberToIp(ipToNumber('198.18.0.0') + 9 + index);
}

function checkScannerIndex(index: number): void {
  if (!Number.isInteger(index) || index < 1 || index > MAX_SCANNER_INDEX) {
    throw new Error(
      `scanner index ${index} is out of range: use 2..${MAX_SCANNER_INDEX} for extra scanners (1 is the main scanner)`,
    );
  }
}

/** The LAN address of personality number `index` (its gateway for the scanners). */
export function personalityLanAddress(index: number): string {
  return numberToIp(ipToNumber('198.18.0.100') + index);
}

export const HOSTILE_LAN_ADDRESS = '198.18.0.200';

export function personalityCidr(index: number): string {
  return `${numberToIp(PERSONALITY_BASE + index * PERSONALITY_BLOCK_SIZE)}/${32 - PERSONALITY_BLOCK_BITS}`;
}

/** Address of host `host` (0-based) of personality `index`. */
export function personalityHost(index: number, host: number): string {
  if (host < 0 || host >= HOSTS_PER_PERSONALITY)
    throw new RangeError(`host ${host} is outside 0..${HOSTS_PER_PERSONALITY - 1}`);
  return numberToIp(PERSONALITY_BASE + index * PERSONALITY_BLOCK_SIZE + 1 + host);
}

export function emulatedCidr(index: number): string {
  return `${numberToIp(EMULATED_BASE + index * EMULATED_BLOCK_SIZE)}/${32 - EMULATED_BLOCK_BITS}`;
}

/** Address of host `host` (0-based) of emulated block `index`. */
export function emulatedHost(index: number, host: number): string {
  if (host < 0 || host >= HOSTS_PER_EMULATED)
    throw new RangeError(`host ${host} is outside 0..${HOSTS_PER_EMULATED - 1}`);
  if (index < 0 || index >= MAX_EMULATED)
    throw new RangeError(`emulated block ${index} is outside 0..${MAX_EMULATED - 1}`);
  return numberToIp(EMULATED_BASE + index * EMULATED_BLOCK_SIZE + 1 + host);
}

/** The default emulated OSes with their blocks. */
export function defaultEmulated(): EmulatedOs[] {
  return DEFAULT_EMULATED.map((d, index) => ({
    slug: d.slug,
    fingerprint: d.fingerprint,
    index,
    cidr: emulatedCidr(index),
    firstHost: emulatedHost(index, 0),
  }));
}

export function hostileAddress(behaviour: HostileBehaviour): string {
  return numberToIp(HOSTILE_BASE + 1 + HOSTILE_BEHAVIOURS.indexOf(behaviour));
}

/**
 * Which personality (by name), emulated OS (by slug; `extra-<k>` for a block
 * beyond the defaults) or hostile behaviour answers on `ip`, or null outside
 * the lab's blocks.
 */
export function whoAnswers(
  ip: string,
): { personality: string } | { emulated: string } | { hostile: HostileBehaviour } | null {
  const value = ipToNumber(ip);
  if (value >= EMULATED_BASE && value <= EMULATED_END) {
    const index = Math.floor((value - EMULATED_BASE) / EMULATED_BLOCK_SIZE);
    const offset = (value - EMULATED_BASE) % EMULATED_BLOCK_SIZE;
    if (offset === 0 || offset === EMULATED_BLOCK_SIZE - 1) return null;
    return { emulated: DEFAULT_EMULATED[index]?.slug ?? `extra-${index}` };
  }
  const offset = value - PERSONALITY_BASE;
  if (offset >= 0 && offset < PERSONALITIES.length * PERSONALITY_BLOCK_SIZE) {
    const personality = PERSONALITIES[Math.floor(offset / PERSONALITY_BLOCK_SIZE)];
    return personality ? { personality: personality.name } : null;
  }
  const behaviour = HOSTILE_BEHAVIOURS[value - HOSTILE_BASE - 1];
  return behaviour ? { hostile: behaviour } : null;
}

/** The static address plan; no side effects. */
export function labPlan(opts?: LabOptions): LabPlan {
  const prefix = labPrefix(opts);
  return {
    prefix,
    scannerNamespace: `${prefix}-scan`,
    scannerAddress: SCANNER_ADDRESS,
    labelSources: Array.from({ length: LABEL_SOURCE_COUNT }, (_, i) => ({
      address: numberToIp(LABEL_SOURCE_BASE + i),
      interface: SCANNER_INTERFACE,
    })),
    dnsServer: DNS_ADDRESS,
    domain: LAB_DOMAIN,
    allowCidr: LAB_CIDR,
    allowCidr6: 'fd00:18::/96',
    personalities: PERSONALITIES.map((p, index) => ({
      name: p.name,
      namespace: `${prefix}-${p.name}`,
      cidr: personalityCidr(index),
      firstHost: personalityHost(index, 0),
      expect: { ...p.expect },
    })),
    hostile: HOSTILE_BEHAVIOURS.map((behaviour) => ({ behaviour, ip: hostileAddress(behaviour), port: HOSTILE_PORT })),
    emulationNamespace: `${prefix}-emu`,
    emulated: defaultEmulated(),
  };
}
