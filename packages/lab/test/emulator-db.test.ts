import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OS_DB,
  closestNames,
  findFingerprint,
  loadOsDb,
  parseOsDb,
  requireFingerprint,
  UnknownFingerprintError,
} from '../src/index.ts';
import { hex, matchesExpression, numericValues, parseExpression, sampleValue } from '../src/emulator/expressions.ts';
import { seededRng } from '../src/emulator/random.ts';

const sample = readFileSync(fileURLToPath(new URL('./fixtures/os-db-sample.txt', import.meta.url)), 'utf8');
const inCI = process.env['CI'] === 'true' || process.env['CI'] === '1';
// The installed database (Nmap's package): CI installs Nmap for the e2e tests, so there it must exist.
const installed = existsSync(DEFAULT_OS_DB);
if (!installed && inCI) throw new Error(`CI=true and ${DEFAULT_OS_DB} is missing (apt-get install nmap)`);

describe('nmap-os-db parser', () => {
  it('reads MatchPoints, entries, Class and CPE lines, and skips malformed entries with a warning naming the line', () => {
    const db = parseOsDb(sample, 'sample');
    expect(db.matchPoints.get('SEQ')?.get('GCD')).toBe(75);
    expect(db.matchPoints.get('IE')?.get('CD')).toBe(100);
    expect(db.fingerprints.map((f) => f.name)).toEqual(['Acme OS 1.0', 'Acme OS 1.0', 'Widget Router 2']);
    expect(db.warnings).toHaveLength(2);
    expect(db.warnings[0]).toMatch(
      /^sample:\d+: skipped fingerprint "Broken Class Thing": line \d+: malformed Class line/,
    );
    expect(db.warnings[1]).toMatch(/"Broken Attribute Thing".*SEQ: attribute "SP0-5" has no name=value/);
    // The line named is the entry's Fingerprint line, and the bad line itself where one is to blame.
    const lineOf = (text: string): number => sample.split('\n').indexOf(text) + 1;
    expect(db.warnings[0]).toContain(
      `sample:${lineOf('Fingerprint Broken Class Thing')}: skipped fingerprint "Broken Class Thing": line ${lineOf('Class Broken | Thing | printer')}:`,
    );
    expect(db.warnings[1]).toContain(`sample:${lineOf('Fingerprint Broken Attribute Thing')}:`);
    const widget = db.fingerprints[2]!;
    expect(widget.classes).toEqual([{ vendor: 'Widget', family: 'embedded', gen: '', type: 'router' }]);
    expect(widget.tests.get('SEQ')?.get('GCD')).toBe('FA00|1F400');
    expect(db.fingerprints[0]?.cpe).toEqual(['cpe:/o:acme:acmeos:1.0']);
    expect(sample.split('\n')[widget.line - 1]).toBe('Fingerprint Widget Router 2');
  });

  it('loads a database file with malformed entries: each warning reaches the caller once, the good entries serve', () => {
    const path = fileURLToPath(new URL('./fixtures/os-db-sample.txt', import.meta.url));
    const warnings: string[] = [];
    const db = loadOsDb(path, (w) => warnings.push(w));
    expect(warnings).toEqual(db.warnings);
    expect(warnings).toHaveLength(2);
    expect(warnings.every((w) => w.startsWith(`${path}:`))).toBe(true);
    expect(requireFingerprint(db, 'Widget Router 2').classes[0]?.type).toBe('router');
    expect(() => requireFingerprint(db, 'Broken Class Thing')).toThrow(UnknownFingerprintError);
  });

  it('picks the most complete of several entries with one name, and names the closest ones for an unknown name', () => {
    const db = parseOsDb(sample, 'sample');
    expect(findFingerprint(db, 'Acme OS 1.0')?.tests.size).toBe(13);
    expect(() => requireFingerprint(db, 'Acme 1.0')).toThrow(UnknownFingerprintError);
    expect(() => requireFingerprint(db, 'Acme 1.0')).toThrow(/closest names: "Acme OS 1.0"/);
  });

  it.skipIf(!installed)('parses the installed database without a warning', () => {
    const db = loadOsDb();
    expect(db.fingerprints.length).toBeGreaterThan(5000);
    expect(db.warnings).toEqual([]);
    expect(findFingerprint(db, 'Microsoft Windows Server 2016')?.classes[0]?.gen).toBe('2016');
    expect(closestNames(db, 'FreeBSD 6.2')).toContain('FreeBSD 6.2-RELEASE');
  });
});

describe('expressions', () => {
  it("match like Nmap's expr_match: hex numbers, ranges, bounds, alternatives, literals, empty", () => {
    const cases: [string, string, boolean][] = [
      ['40', '3B-45', true],
      ['46', '3B-45', false],
      ['0040', '3B-45', true],
      ['FF', 'FA-104', true],
      ['105', 'FA-104', false],
      ['8', '>7', true],
      ['7', '>7', false],
      ['1F', '<20', true],
      ['20', '<20', false],
      ['2', '1-6', true],
      ['A', '2|4|6|8|A', true],
      ['C', '2|4|6|8|A', false],
      ['S+', 'S+', true],
      ['S', 'S+', false],
      ['A', 'A|A+', true],
      ['A+', 'A|A+', true],
      ['O', 'S+|O', true],
      ['', '', true],
      ['Y', '', false],
      ['', 'Y|', true],
      ['M5B4NW8ST11', 'M5B4NW8ST11|M5B4NW8NNT11', true],
      ['M5B4', 'M5B4NW8ST11', false],
      ['AR', 'AR', true],
      ['R', 'AR', false],
      ['Z', 'Z|RD', true],
      ['I', 'RI', false],
    ];
    for (const [value, expr, want] of cases) expect(matchesExpression(value, expr), `${value} ~ ${expr}`).toBe(want);
  });

  it('draws values that match their expression', () => {
    const rng = seededRng(7);
    for (const expr of ['3B-45', 'FA00|1F400|2EE00', '>8', '<10', 'M5B4NW8ST11|M5B4ST11', 'Y|N', '', 'A|A+|O', '0-5']) {
      for (let i = 0; i < 50; i++) expect(matchesExpression(sampleValue(expr, rng), expr), expr).toBe(true);
    }
    expect(parseExpression('1-6|A')).toEqual([
      { kind: 'range', low: 1, high: 6 },
      { kind: 'literal', text: 'A' },
    ]);
    expect(numericValues('2|4|6')).toEqual([2, 4, 6]);
    expect(numericValues('>5')).toBeNull();
    expect(hex(255)).toBe('FF');
  });

  it.skipIf(!installed)(
    'draws a matching value for every expression of the installed database',
    () => {
      const rng = seededRng(1);
      let checked = 0;
      for (const fp of loadOsDb().fingerprints.slice(0, 800)) {
        for (const test of fp.tests.values()) {
          for (const expr of test.values()) {
            expect(matchesExpression(sampleValue(expr, rng), expr), `${fp.name}: ${expr}`).toBe(true);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(50_000);
    },
    60_000,
  );
});
