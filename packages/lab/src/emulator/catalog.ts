/**
 * Which operating systems the lab emulates and where: the default set (one
 * per class the dataset needs), extra fingerprints asked for by name, the
 * address block of each, and the taxonomy class of a fingerprint.
 */
import { classify, DEFAULT_TAXONOMY } from '@osfp/labeler';
import type { PathSpec } from './path.ts';
import { findFingerprint, type Fingerprint, type OsClass, type OsDb } from './os-db.ts';
import { seededRng } from './random.ts';

export interface EmulatedOsDefinition {
  /** Short name: process name, Server header, whoAnswers. Lowercase letters, digits and '-'. */
  slug: string;
  /** The `Fingerprint` line's name in nmap-os-db (the most complete entry of that name). */
  fingerprint: string;
  /** The class osfp's taxonomy gives it (checked by the tests against the database). */
  expectedClass: string;
}

/**
 * The default emulated OSes, one per class of the dataset's class table.
 * Each fingerprint has one Class line mapping to the wanted class, and the
 * offline scorer puts it well ahead of every other class's print.
 */
export const DEFAULT_EMULATED: readonly EmulatedOsDefinition[] = [
  { slug: 'linux26', fingerprint: 'Linux 2.6.32', expectedClass: 'Linux 2.6.X' },
  { slug: 'linux3', fingerprint: 'Linux 3.2', expectedClass: 'Linux 3.X' },
  { slug: 'linux4', fingerprint: 'Linux 4.4', expectedClass: 'Linux 4.X' },
  { slug: 'linux5', fingerprint: 'Linux 5.4', expectedClass: 'Linux 5.X' },
  { slug: 'freebsd6', fingerprint: 'FreeBSD 6.2-RELEASE', expectedClass: 'FreeBSD 6.X' },
  { slug: 'openbsd4', fingerprint: 'OpenBSD 4.3', expectedClass: 'OpenBSD 4.X' },
  { slug: 'win2012', fingerprint: 'Microsoft Windows Server 2012', expectedClass: 'Windows 2012' },
  { slug: 'win2016', fingerprint: 'Microsoft Windows Server 2016', expectedClass: 'Windows 2016' },
  { slug: 'doorbell', fingerprint: '2N Helios IP VoIP doorbell', expectedClass: 'embedded' },
];

/** An extra OS for labUp({ os }): a fingerprint name, optionally with path conditions. */
export type EmulatedOsRequest = string | { fingerprint: string; slug?: string; path?: PathSpec };

export interface EmulatedOs {
  slug: string;
  fingerprint: string;
  /** Block number: addresses EMULATED_BASE + 1024 * index + 1 .. + 1022. */
  index: number;
  cidr: string;
  firstHost: string;
  path?: PathSpec;
  /** The responder process that serves it (`emu-<slug>` of the first OS of its group). */
  process?: string;
}

/** The taxonomy class of a fingerprint: its first Class line under DEFAULT_TAXONOMY (what Nmap's top osclass would give). */
export function fingerprintClass(fp: Pick<Fingerprint, 'classes'>): string {
  const c = fp.classes[0];
  return c ? classOfLine(c) : 'Other';
}

export function classOfLine(c: OsClass): string {
  return classify(
    { vendor: c.vendor, osfamily: c.family, osgen: c.gen === '' ? null : c.gen, type: c.type, accuracy: 100, cpe: [] },
    DEFAULT_TAXONOMY,
  );
}

/** A slug for an extra fingerprint: its block number and a readable stem of the name. */
export function extraSlug(index: number, name: string): string {
  const stem = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 24)
    .replace(/-$/, '');
  return `x${index}-${stem}`;
}

/**
 * A seeded sample of `count` fingerprint names spread over families and
 * device types: names are grouped by the OS family of their most complete
 * entry when it is a general-purpose OS, by device type otherwise (router,
 * printer, WAP...); the groups are shuffled and one name is drawn from each
 * in turn. Used to measure how general the emulation is.
 */
export function sampleFingerprintNames(db: OsDb, count: number, seed: number): string[] {
  const rng = seededRng(seed);
  const groups = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const fp of db.fingerprints) {
    if (seen.has(fp.name)) continue;
    seen.add(fp.name);
    const entry = findFingerprint(db, fp.name) ?? fp;
    const c = entry.classes[0];
    const key = c?.type === 'general purpose' ? `os | ${c.family}` : `device | ${c?.type ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), fp.name]);
  }
  const keys = [...groups.keys()].sort();
  for (let i = keys.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const out: string[] = [];
  for (let round = 0; out.length < count && round < 100; round++) {
    for (const key of keys) {
      if (out.length >= count) break;
      const names = (groups.get(key) ?? []).filter((n) => !out.includes(n));
      if (names.length > 0) out.push(rng.pick(names));
    }
  }
  return out;
}
