import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@osfp/test-support';
import { ExclusionPolicy, readExcludeFile } from '../src/exclusions/exclusion-policy.ts';
import { IANA_SPECIAL_PURPOSE_IPV4, IANA_SPECIAL_PURPOSE_IPV6 } from '../src/exclusions/special-purpose.ts';
import { addressToNumber, numberToAddress, parseAddressCidr } from '../src/targets/address.ts';

describe('default exclusions', () => {
  const policy = new ExclusionPolicy();

  it('excludes the first, last and a middle address of every IANA special-purpose range, IPv4 and IPv6', () => {
    for (const { cidr } of [...IANA_SPECIAL_PURPOSE_IPV4, ...IANA_SPECIAL_PURPOSE_IPV6]) {
      const { first, last } = parseAddressCidr(cidr);
      for (const n of [first, last, first + (last - first) / 2n]) {
        expect(policy.reasonFor(n), `${numberToAddress(n)} in ${cidr}`).toBe('special-purpose');
        expect(policy.reasonFor(numberToAddress(n)), `${numberToAddress(n)} in ${cidr}`).toBe('special-purpose');
      }
    }
  });

  it('names the well-known IPv6 ranges and leaves only global unicast open', () => {
    const cidrs = IANA_SPECIAL_PURPOSE_IPV6.map((e) => e.cidr);
    for (const c of ['::1/128', '::ffff:0:0/96', 'fc00::/7', 'fe80::/10', 'ff00::/8', '2001:db8::/32', '2002::/16']) {
      expect(cidrs).toContain(c);
    }
    for (const ip of ['2a00:1450:4001:81c::200e', '2606:4700::6810:84e5', '2001:4860:4860::8888', '2c0f:fb50::1']) {
      expect(policy.reasonFor(ip), ip).toBeNull();
    }
    for (const ip of ['::1', 'fd00:18::2', 'fe80::1', 'ff02::1', '2001:db8::1', '3fff::1', '4000::1']) {
      expect(policy.reasonFor(ip), ip).toBe('special-purpose');
    }
    // The IPv6 registry's IPv4-mapped block does not close IPv4 addresses.
    expect(policy.reasonFor('8.8.8.8')).toBeNull();
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

  it('--allow and exclude entries take IPv6 too', () => {
    const policy = new ExclusionPolicy({ allow: ['fd00:18::/32'], exclude: ['fd00:18:1::/48', '2a00::1'] });
    expect(policy.reasonFor('fd00:18::2')).toBeNull();
    expect(policy.reasonFor('fd00:18:1::5')).toBe('exclude-file');
    expect(policy.reasonFor('fd00:19::1')).toBe('special-purpose');
    expect(policy.reasonFor('2a00::1')).toBe('exclude-file');
    expect(policy.reasonFor('2a00::2')).toBeNull();
    // An IPv4 allow opens no IPv6 address and the reverse.
    expect(new ExclusionPolicy({ allow: ['::/0'] }).reasonFor('10.0.0.1')).toBe('special-purpose');
  });

  it('reads a ZMap-style exclude file and names a bad line', async () => {
    const dir = await scratchDir('osfp-excl-');
    const good = join(dir, 'good.txt');
    await writeFile(good, '# opt-outs\r\n5.5.5.0/24\r\n6.6.6.6 # single\r\n2a00:1::/32\r\n2A00:2:0::1\r\n\r\n');
    expect(await readExcludeFile(good)).toEqual(['5.5.5.0/24', '6.6.6.6/32', '2a00:1::/32', '2a00:2::1/128']);
    const bad = join(dir, 'bad.txt');
    await writeFile(bad, '5.5.5.0/24\nfoo\n');
    await expect(readExcludeFile(bad)).rejects.toThrow(/bad.txt, line 2/);
    await expect(readExcludeFile(join(dir, 'missing'))).rejects.toThrow(/cannot be read/);
  });

  it('rejects a malformed --allow', () => {
    expect(() => new ExclusionPolicy({ allow: ['198.18.0.1/15'] })).toThrow(/--allow.*host bits/);
    expect(() => new ExclusionPolicy({ allow: ['fd00::1/64'] })).toThrow(/--allow.*host bits/);
    expect(addressToNumber('198.18.0.0')).toBe(parseAddressCidr('198.18.0.0/15').first);
  });
});
