import { describe, expect, it } from 'vitest';
import {
  classify,
  DEFAULT_TAXONOMY,
  guessesToJson,
  labelFromMatches,
  parseNmapXml,
  parseTaxonomy,
  relabel,
} from '../src/index.ts';
import type { NmapOsClass, NmapOsMatch, Taxonomy } from '../src/index.ts';
import { fixture } from './fixtures.ts';

const cls = (
  osfamily: string,
  osgen: string | null,
  type = 'general purpose',
  vendor = osfamily,
  accuracy = 90,
): NmapOsClass => ({
  type,
  vendor,
  osfamily,
  osgen,
  accuracy,
  cpe: [],
});
const match = (accuracy: number, ...classes: NmapOsClass[]): NmapOsMatch => ({
  name: `m${accuracy}`,
  accuracy,
  line: null,
  classes: classes.map((c) => ({ ...c, accuracy })),
});

describe('DEFAULT_TAXONOMY', () => {
  it.each([
    [cls('Linux', '2.6.X'), 'Linux 2.6.X'],
    [cls('Linux', '3.X'), 'Linux 3.X'],
    [cls('Linux', '4.X'), 'Linux 4.X'],
    [cls('Linux', '5.X'), 'Linux 5.X'],
    [cls('Linux', '2.4.X'), 'Linux (Other)'],
    [cls('Linux', null), 'Linux (Other)'],
    [cls('linux', '4.x'), 'Linux 4.x'],
    [cls('FreeBSD', '6.X'), 'FreeBSD 6.X'],
    [cls('OpenBSD', '4.X'), 'OpenBSD 4.X'],
    [cls('Windows', '2012', 'general purpose', 'Microsoft'), 'Windows 2012'],
    [cls('Windows', '2016', 'general purpose', 'Microsoft'), 'Windows 2016'],
    [cls('Windows', 'XP', 'general purpose', 'Microsoft'), 'Windows XP'],
    [cls('embedded', null, 'WAP', 'Asus'), 'embedded'],
    [cls('Linux', '3.X', 'WAP'), 'embedded'],
    [cls('FreeBSD', '9.X', 'storage-misc'), 'embedded'],
    [cls('Windows', '7', 'specialized', 'Microsoft'), 'embedded'],
    [cls('Mac OS X', '10.7.X', 'general purpose', 'Apple'), 'macOS 10.7.X'],
    [cls('OS X', '10.10.X', 'general purpose', 'Apple'), 'macOS 10.10.X'],
    [cls('Solaris', '10', 'general purpose', 'Oracle'), 'Solaris 10'],
    [cls('', null), 'Other'],
  ])('%o -> %s', (osclass, label) => {
    expect(classify(osclass, DEFAULT_TAXONOMY)).toBe(label);
  });

  it('is valid data with a version', () => {
    expect(parseTaxonomy(JSON.parse(JSON.stringify(DEFAULT_TAXONOMY)))).toEqual(DEFAULT_TAXONOMY);
    expect(DEFAULT_TAXONOMY.version).toMatch(/\S/);
  });

  it('rejects a malformed taxonomy, naming it', () => {
    expect(() => parseTaxonomy({ version: '', rules: [{ when: {}, label: '' }] }, 'rules.json')).toThrow(
      /rules\.json is not a valid label taxonomy/,
    );
  });
});

describe('labelFromMatches', () => {
  it('top class, accuracy, os_* columns and the second DISTINCT class (recorded loopback run)', async () => {
    const [host] = await parseNmapXml(fixture('loopback-linux.xml'));
    const fields = labelFromMatches(host?.matches ?? [], DEFAULT_TAXONOMY);
    expect(fields).toMatchObject({
      label: 'Linux 5.X',
      label_2: 'Linux 3.X',
      os_vendor: 'Linux',
      os_family: 'Linux',
      os_gen: '5.X',
      os_type: 'general purpose',
      os_cpe: 'cpe:/o:linux:linux_kernel:5',
      label_status: 'ok',
    });
    expect(fields.label_acc).toBeGreaterThanOrEqual(fields.label_2_acc ?? 0);
    expect(JSON.parse(fields.nmap_guesses ?? '[]')).toHaveLength(10);
  });

  it('ranks by class accuracy across osmatches; label_2 skips repeats of label', async () => {
    const [host] = await parseNmapXml(fixture('edge-several-osclasses.xml'));
    const fields = labelFromMatches(host?.matches ?? [], DEFAULT_TAXONOMY);
    expect(fields).toMatchObject({
      label: 'Windows 2016',
      label_acc: 93,
      label_2: 'Windows 10',
      label_2_acc: 93,
      os_vendor: 'Microsoft',
    });
    expect(fields.os_cpe).toBe('cpe:/o:microsoft:windows_server_2016');
  });

  it('label_2 is null when every guess is the same class', () => {
    const fields = labelFromMatches([match(95, cls('Linux', '4.X')), match(90, cls('Linux', '4.X'))], DEFAULT_TAXONOMY);
    expect(fields).toMatchObject({ label: 'Linux 4.X', label_acc: 95, label_2: null, label_2_acc: null });
  });

  it('no guesses, or guesses without osclass, are no-match with the guesses kept', () => {
    expect(labelFromMatches([], DEFAULT_TAXONOMY)).toMatchObject({
      label: null,
      label_status: 'no-match',
      nmap_guesses: '[]',
    });
    const bare = labelFromMatches([match(85)], DEFAULT_TAXONOMY);
    expect(bare).toMatchObject({ label: null, label_status: 'no-match' });
    expect(JSON.parse(bare.nmap_guesses ?? '')).toHaveLength(1);
  });

  it('hostile strings do not reach the template machinery', async () => {
    const [first, second] = await parseNmapXml(fixture('edge-hostile-strings.xml'));
    expect(labelFromMatches(first?.matches ?? [], DEFAULT_TAXONOMY).label).toBe('{vendor}</os> $(id)');
    expect(labelFromMatches(second?.matches ?? [], DEFAULT_TAXONOMY).label).toBe('embedded');
  });
});

describe('relabel', () => {
  it('gives back the same labels from nmap_guesses alone', async () => {
    for (const name of ['loopback-linux.xml', 'edge-several-osclasses.xml', 'edge-ipv6.xml']) {
      for (const host of await parseNmapXml(fixture(name))) {
        const fields = labelFromMatches(host.matches, DEFAULT_TAXONOMY);
        expect(relabel(fields.nmap_guesses ?? '', DEFAULT_TAXONOMY)).toEqual(fields);
      }
    }
  });

  it('a new taxonomy version changes labels without rescanning', async () => {
    const [host] = await parseNmapXml(fixture('loopback-linux.xml'));
    const guesses = guessesToJson(host?.matches ?? []);
    const coarse: Taxonomy = {
      version: 'coarse-1',
      rules: [{ when: { notType: ['general purpose'] }, label: 'embedded' }],
      fallback: '{osfamily}',
    };
    expect(relabel(guesses, coarse)).toMatchObject({ label: 'Linux', label_2: 'embedded' });
  });

  it('names the problem when nmap_guesses is not what the labeler wrote', () => {
    expect(() => relabel('{oops', DEFAULT_TAXONOMY)).toThrow(/nmap_guesses is not JSON/);
    expect(() => relabel('[{"name":1}]', DEFAULT_TAXONOMY)).toThrow(/nmap_guesses does not have the shape/);
  });
});
