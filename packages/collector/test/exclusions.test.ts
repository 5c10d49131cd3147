import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExclusionPolicy, readExcludeFile } from '../src/exclusions/exclusion-policy.ts';
import { IANA_SPECIAL_PURPOSE_IPV4 } from '../src/exclusions/special-purpose.ts';
import { ipv4ToNumber, numberToIpv4, parseCidr } from '../src/targets/ipv4.ts';

describe('default exclusions', () => {
  const policy = new ExclusionPolicy();

  it('excludes the first, last and a middle address of every IANA special-purpose range', () => {
    for (const { cidr } of IANA_SPECIAL_PURPOSE_IPV4) {
      const { first, last } = parseCidr(cidr);
      for (const n of [first, last, first + Math.floor((last - first) / 2)]) {
        expect(policy.reasonFor(n), `${numberToIpv4(n)} in ${cidr}`).toBe('special-purpose');
      }
    }
  });

  it('names the well-known ranges', () => {
    const cidrs = IANA_SPECIAL_PURPOSE_IPV4.map((e) => e.cidr);
    for (const c of [
      '10.0.0.0/8',
      '127.0.0.0/8',
      '169.254.0.0/16',
      '172.16.0.0/12',
      '192.168.0.0/16',
      '100.64.0.0/10',
      '198.18.0.0/15',
      '224.0.0.0/4',
      '240.0.0.0/4',
      '255.255.255.255/32',
      '0.0.0.0/8',
      '192.0.2.0/24',
      '198.51.100.0/24',
      '203.0.113.0/24',
    ]) {
      expect(cidrs).toContain(c);
    }
  });

  it('lets public addresses through, right at the edges of special ranges', () => {
    for (const ip of [
      '1.1.1.1',
      '8.8.8.8',
      '9.255.255.255',
      '11.0.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '126.255.255.255',
      '128.0.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '192.167.255.255',
      '192.169.0.0',
      '198.17.255.255',
      '198.20.0.0',
      '223.255.255.255',
      '192.0.1.0',
      '192.0.3.0',
    ]) {
      expect(policy.reasonFor(ip), ip).toBeNull();
    }
  });
});

describe('--allow and --exclude', () => {
  it('--allow opens the lab range only', () => {
    const policy = new ExclusionPolicy({ allow: ['198.18.0.0/15'] });
    expect(policy.isExcluded('198.18.0.10')).toBe(false);
    expect(policy.isExcluded('198.19.255.255')).toBe(false);
    expect(policy.isExcluded('10.0.0.1')).toBe(true);
    expect(policy.isExcluded('127.0.0.1')).toBe(true);
  });

  it('an exclude entry beats an allow', () => {
    const policy = new ExclusionPolicy({ allow: ['198.18.0.0/15'], exclude: ['198.18.0.8/29', '5.5.5.5/32'] });
    expect(policy.reasonFor('198.18.0.9')).toBe('exclude-file');
    expect(policy.reasonFor('198.18.0.16')).toBeNull();
    expect(policy.reasonFor('5.5.5.5')).toBe('exclude-file');
    expect(policy.reasonFor('5.5.5.6')).toBeNull();
  });

  it('reads a ZMap-style exclude file and names a bad line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'osfp-excl-'));
    const good = join(dir, 'good.txt');
    await writeFile(good, '# opt-outs\r\n5.5.5.0/24\r\n6.6.6.6 # single\r\n\r\n');
    expect(await readExcludeFile(good)).toEqual(['5.5.5.0/24', '6.6.6.6/32']);
    const bad = join(dir, 'bad.txt');
    await writeFile(bad, '5.5.5.0/24\nfoo\n');
    await expect(readExcludeFile(bad)).rejects.toThrow(/bad.txt, line 2/);
    await expect(readExcludeFile(join(dir, 'missing'))).rejects.toThrow(/cannot be read/);
  });

  it('rejects a malformed --allow', () => {
    expect(() => new ExclusionPolicy({ allow: ['198.18.0.1/15'] })).toThrow(/--allow.*host bits/);
    expect(ipv4ToNumber('198.18.0.0')).toBe(parseCidr('198.18.0.0/15').first);
  });
});
