/**
 * Target lists for the lab, in the formats the collector reads. The list for a
 * given count is always the first `count` lines of one fixed sequence, so a
 * smaller list is a prefix of a larger one (like a top-N list).
 *
 * Order: consecutive lines cycle through the kernel personalities and the
 * default emulated OSes (13 sources) while the emulated blocks last (1,022
 * hosts each), then through the personalities alone; in each pass over the
 * addresses an address gets 1, 2 or 3 names in turn (several names per
 * address, as on the web), and later passes add further aliases.
 */
import { ALIASES, labName } from './dns-zone.ts';
import { DEFAULT_EMULATED } from './emulator/catalog.ts';
import { EMULATED_NAME_MARK } from './dns-zone.ts';
import { PERSONALITIES } from './personalities.ts';
import {
  EMULATED_BASE,
  EMULATED_BLOCK_SIZE,
  HOSTILE_BEHAVIOURS,
  HOSTS_PER_EMULATED,
  HOSTS_PER_PERSONALITY,
  LAB_DOMAIN,
  PERSONALITY_BLOCK_SIZE,
  hostileAddress,
  labPrefix,
  numberToIp,
  type LabOptions,
} from './plan.ts';

export type TargetFormat = 'tranco' | 'domains' | 'ips';
export const TARGET_FORMATS: readonly TargetFormat[] = ['tranco', 'domains', 'ips'];

const SOURCES = PERSONALITIES.length + DEFAULT_EMULATED.length;
/** Slots in which every source (personality or default emulated OS) still has hosts. */
const MIXED_SLOTS = SOURCES * HOSTS_PER_EMULATED;
/** Responsive addresses: every usable host of every personality and default emulated OS. */
export const RESPONSIVE_ADDRESSES =
  PERSONALITIES.length * HOSTS_PER_PERSONALITY + DEFAULT_EMULATED.length * HOSTS_PER_EMULATED;
const NAMES_PER_PASS_CYCLE = [1, 2, 3] as const;
const PASSES = Math.floor(ALIASES.length / NAMES_PER_PASS_CYCLE.length);
/** Sum over addresses of 1, 2, 3, 1, 2, 3, ... */
const NAMES_PER_PASS = (() => {
  let total = 0;
  for (let a = 0; a < RESPONSIVE_ADDRESSES; a++) total += NAMES_PER_PASS_CYCLE[a % 3] ?? 1;
  return total;
})();
export const MAX_NAMES = PASSES * NAMES_PER_PASS;
/** With `hostile`, line 5 and then every 10th line is a hostile host, each host once. */
const HOSTILE_EVERY = 10;
const HOSTILE_FIRST = 4;

/**
 * The slot's address and the number in its names: personality hosts count
 * from 198.19.0.0 (`www-5`), emulated hosts from 198.18.4.0 (`www-e5`).
 */
function slotTarget(slot: number): { emulated: boolean; offset: number } {
  if (slot < MIXED_SLOTS) {
    const source = slot % SOURCES;
    const host = Math.floor(slot / SOURCES);
    if (source < PERSONALITIES.length) return { emulated: false, offset: source * PERSONALITY_BLOCK_SIZE + 1 + host };
    return { emulated: true, offset: (source - PERSONALITIES.length) * EMULATED_BLOCK_SIZE + 1 + host };
  }
  const rest = slot - MIXED_SLOTS;
  const source = rest % PERSONALITIES.length;
  const host = HOSTS_PER_EMULATED + Math.floor(rest / PERSONALITIES.length);
  return { emulated: false, offset: source * PERSONALITY_BLOCK_SIZE + 1 + host };
}

const PERSONALITY_BASE_NUMBER = 0xc6130000; // 198.19.0.0

function responsiveAddress(slot: number): string {
  const t = slotTarget(slot);
  return numberToIp((t.emulated ? EMULATED_BASE : PERSONALITY_BASE_NUMBER) + t.offset);
}

function* responsiveNames(): Generator<string> {
  for (let pass = 0; pass < PASSES; pass++) {
    for (let slot = 0; slot < RESPONSIVE_ADDRESSES; slot++) {
      const names = NAMES_PER_PASS_CYCLE[slot % 3] ?? 1;
      const { emulated, offset } = slotTarget(slot);
      const mark = emulated ? EMULATED_NAME_MARK : '';
      for (let j = 0; j < names; j++) {
        // Same names as labName(ip, alias), built directly: this loop makes a million of them.
        yield `${ALIASES[pass * NAMES_PER_PASS_CYCLE.length + j] ?? ''}-${mark}${offset}.${LAB_DOMAIN}`;
      }
    }
  }
}

function* responsiveIps(): Generator<string> {
  for (let slot = 0; slot < RESPONSIVE_ADDRESSES; slot++) yield responsiveAddress(slot);
}

/** Largest count `labTargets` accepts for this format. */
export function maxTargets(format: TargetFormat, hostile = false): number {
  return (format === 'ips' ? RESPONSIVE_ADDRESSES : MAX_NAMES) + (hostile ? HOSTILE_BEHAVIOURS.length : 0);
}

/**
 * `count` target lines: `rank,name` (tranco), `name` (domains) or `ip` (ips).
 * Hostile hosts appear only with `hostile: true`.
 */
export function labTargets(
  count: number,
  format: TargetFormat,
  opts?: LabOptions & { hostile?: boolean },
): Iterable<string> {
  labPrefix(opts); // the zone is the same for every prefix, but a bad prefix is still an error
  if (!TARGET_FORMATS.includes(format)) {
    throw new Error(`target format "${String(format)}" is unknown: use one of ${TARGET_FORMATS.join(', ')}`);
  }
  const hostile = opts?.hostile ?? false;
  const max = maxTargets(format, hostile);
  if (!Number.isInteger(count) || count < 0 || count > max) {
    throw new RangeError(
      `target count ${count} is out of range: the lab has ${max} distinct ${format === 'ips' ? 'addresses' : 'names'}` +
        ` for format "${format}" (use 0..${max}${format === 'ips' ? ', or a name format for more' : ''})`,
    );
  }
  return {
    *[Symbol.iterator]() {
      const responsive = format === 'ips' ? responsiveIps() : responsiveNames();
      let hostileIndex = 0;
      for (let line = 0; line < count; line++) {
        let target: string;
        const behaviour = HOSTILE_BEHAVIOURS[hostileIndex];
        if (hostile && behaviour !== undefined && line % HOSTILE_EVERY === HOSTILE_FIRST) {
          const ip = hostileAddress(behaviour);
          target = format === 'ips' ? ip : (labName(ip) ?? ip);
          hostileIndex++;
        } else {
          const next = responsive.next();
          if (next.done) return;
          target = next.value;
        }
        yield format === 'tranco' ? `${line + 1},${target}` : target;
      }
    },
  };
}
