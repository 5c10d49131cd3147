/**
 * nmap-os-db, read as data: the MatchPoints block (what each test attribute is
 * worth when Nmap compares prints) and every reference fingerprint with its
 * Class and CPE lines and its test lines, kept as the raw expressions.
 *
 * The file is community-maintained and large; one malformed entry must not
 * take the lab down, so an entry that does not parse is skipped with a
 * warning naming its line, and parsing goes on.
 */
import { readFileSync } from 'node:fs';
import Fuse from 'fuse.js';
import { LabError } from '../lab-error.ts';

export const DEFAULT_OS_DB = '/usr/share/nmap/nmap-os-db';

/** Nmap's 13 tests, in the order of its fingerprint lines. */
export const TEST_NAMES = ['SEQ', 'OPS', 'WIN', 'ECN', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'U1', 'IE'] as const;
export type TestName = (typeof TEST_NAMES)[number];

/** attribute -> expression, in file order. */
export type TestLine = ReadonlyMap<string, string>;

export interface OsClass {
  vendor: string;
  family: string;
  /** Empty when the Class line leaves the generation blank. */
  gen: string;
  type: string;
}

export interface Fingerprint {
  name: string;
  /** 1-based line of the `Fingerprint` line. */
  line: number;
  /** Position among the parsed entries: Nmap breaks accuracy ties in file order. */
  index: number;
  classes: OsClass[];
  cpe: string[];
  tests: ReadonlyMap<TestName, TestLine>;
}

export interface OsDb {
  path: string;
  /** test -> attribute -> points */
  matchPoints: ReadonlyMap<TestName, ReadonlyMap<string, number>>;
  fingerprints: Fingerprint[];
  warnings: string[];
}

const TEST_SET: ReadonlySet<string> = new Set(TEST_NAMES);
const TEST_LINE = /^([A-Z][A-Z0-9]*)\((.*)\)\s*$/;

/** Parses `SEQ(SP=0-5%GCD=1-6%...)`'s inside into attribute -> expression. */
function parseAttributes(body: string): Map<string, string> | string {
  const attrs = new Map<string, string>();
  if (body === '') return attrs;
  for (const part of body.split('%')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return `attribute "${part}" has no name=value`;
    const name = part.slice(0, eq);
    if (!/^[A-Z][A-Z0-9]*$/.test(name)) return `attribute name "${name}" is invalid`;
    if (attrs.has(name)) return `attribute ${name} appears twice`;
    attrs.set(name, part.slice(eq + 1));
  }
  return attrs;
}

function parseClass(text: string): OsClass | null {
  const parts = text.split('|').map((p) => p.trim());
  if (parts.length !== 4) return null;
  const [vendor = '', family = '', gen = '', type = ''] = parts;
  if (!vendor || !family || !type) return null;
  return { vendor, family, gen, type };
}

export function parseOsDb(text: string, path = DEFAULT_OS_DB): OsDb {
  const lines = text.split('\n');
  const warnings: string[] = [];
  const matchPoints = new Map<TestName, Map<string, number>>();
  const fingerprints: Fingerprint[] = [];
  let current: {
    name: string;
    line: number;
    classes: OsClass[];
    cpe: string[];
    tests: Map<TestName, TestLine>;
    error: string | null;
  } | null = null;
  let inMatchPoints = false;

  const finish = (): void => {
    if (!current) return;
    const entry = current;
    current = null;
    if (entry.error === null && entry.classes.length === 0) entry.error = 'no Class line';
    if (entry.error === null && entry.tests.size === 0) entry.error = 'no test lines';
    if (entry.error !== null) {
      warnings.push(`${path}:${entry.line}: skipped fingerprint "${entry.name}": ${entry.error}`);
      return;
    }
    fingerprints.push({
      name: entry.name,
      line: entry.line,
      index: fingerprints.length,
      classes: entry.classes,
      cpe: entry.cpe,
      tests: entry.tests,
    });
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      if (line === '') inMatchPoints = false;
      continue;
    }
    if (line === 'MatchPoints') {
      finish();
      inMatchPoints = true;
      continue;
    }
    if (line.startsWith('Fingerprint ')) {
      finish();
      inMatchPoints = false;
      current = {
        name: line.slice('Fingerprint '.length).trim(),
        line: lineNo,
        classes: [],
        cpe: [],
        tests: new Map(),
        error: null,
      };
      continue;
    }
    if (inMatchPoints) {
      const m = TEST_LINE.exec(line);
      const attrs = m ? parseAttributes(m[2] ?? '') : 'not a test line';
      if (!m || typeof attrs === 'string' || !TEST_SET.has(m[1] ?? '')) {
        warnings.push(
          `${path}:${lineNo}: ignored MatchPoints line: ${typeof attrs === 'string' ? attrs : 'unknown test'}`,
        );
        continue;
      }
      const points = new Map<string, number>();
      for (const [k, v] of attrs) points.set(k, /^\d+$/.test(v) ? Number(v) : 0);
      matchPoints.set(m[1] as TestName, points);
      continue;
    }
    if (!current) {
      warnings.push(`${path}:${lineNo}: ignored line outside any fingerprint`);
      continue;
    }
    const entry = current;
    if (entry.error !== null) continue;
    if (line.startsWith('Class ')) {
      const cls = parseClass(line.slice('Class '.length));
      if (cls) entry.classes.push(cls);
      else entry.error = `line ${lineNo}: malformed Class line`;
      continue;
    }
    if (line.startsWith('CPE ')) {
      const cpe = line.slice('CPE '.length).trim().split(/\s+/)[0] ?? '';
      if (cpe.startsWith('cpe:/')) entry.cpe.push(cpe);
      else entry.error = `line ${lineNo}: malformed CPE line`;
      continue;
    }
    const m = TEST_LINE.exec(line);
    if (!m || !TEST_SET.has(m[1] ?? '')) {
      entry.error = `line ${lineNo}: unknown line "${line.slice(0, 40)}"`;
      continue;
    }
    const attrs = parseAttributes(m[2] ?? '');
    if (typeof attrs === 'string') {
      entry.error = `line ${lineNo}: ${m[1]}: ${attrs}`;
      continue;
    }
    if (entry.tests.has(m[1] as TestName)) {
      entry.error = `line ${lineNo}: test ${m[1]} appears twice`;
      continue;
    }
    entry.tests.set(m[1] as TestName, attrs);
  }
  finish();
  if (matchPoints.size === 0) warnings.push(`${path}: no MatchPoints block; every attribute counts 1 point`);
  return { path, matchPoints, fingerprints, warnings };
}

const cache = new Map<string, OsDb>();

/** Reads and parses the database once per path per process; warnings go to `warn`. */
export function loadOsDb(path = DEFAULT_OS_DB, warn: (message: string) => void = (m) => console.warn(m)): OsDb {
  const cached = cache.get(path);
  if (cached) return cached;
  const db = parseOsDb(readFileSync(path, 'utf8'), path);
  for (const w of db.warnings) warn(w);
  cache.set(path, db);
  return db;
}

/** How many attributes an entry states: the rule that picks one among entries sharing a name. */
export function completeness(fp: Fingerprint): number {
  let n = 0;
  for (const test of fp.tests.values()) n += test.size;
  return n;
}

/**
 * The entry for a `Fingerprint` name. Several entries often share a name
 * (e.g. five "Microsoft Windows Server 2016"); the rule: the most complete one
 * (most attributes stated), and among equals the first in the file.
 */
export function findFingerprint(db: OsDb, name: string): Fingerprint | null {
  let best: Fingerprint | null = null;
  for (const fp of db.fingerprints) {
    if (fp.name !== name) continue;
    if (!best || completeness(fp) > completeness(best)) best = fp;
  }
  return best;
}

/** The distinct fingerprint names closest to `query` (fuzzy), best first. */
export function closestNames(db: OsDb, query: string, limit = 5): string[] {
  const names = [...new Set(db.fingerprints.map((f) => f.name))];
  const fuse = new Fuse(names, { includeScore: true, threshold: 0.6, ignoreLocation: true });
  return fuse.search(query, { limit }).map((r) => r.item);
}

/** A name that is no `Fingerprint` line of nmap-os-db: the user's to fix, with the closest names to pick from. */
export class UnknownFingerprintError extends LabError {
  readonly closest: string[];
  constructor(name: string, closest: string[]) {
    super(
      `no fingerprint named "${name}" in nmap-os-db` +
        (closest.length > 0 ? `; closest names: ${closest.map((c) => `"${c}"`).join(', ')}` : ''),
    );
    this.closest = closest;
  }
}

/** findFingerprint, or an error that lists the closest names. */
export function requireFingerprint(db: OsDb, name: string): Fingerprint {
  const fp = findFingerprint(db, name);
  if (!fp) throw new UnknownFingerprintError(name, closestNames(db, name));
  return fp;
}
