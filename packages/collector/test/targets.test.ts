import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@osfp/test-support';
import { addressToNumber, numberToAddress, parseAddress, parseAddressCidr } from '../src/targets/address.ts';
import { readTargetFile } from '../src/targets/target-file.ts';
import { parseTargetLine } from '../src/targets/target-line.ts';

describe('parseTargetLine', () => {
  it('understands every accepted form', () => {
    expect(parseTargetLine('1,google.com', 5)).toEqual({ kind: 'domain', line: 5, name: 'google.com' });
    expect(parseTargetLine('Example.COM.', 2)).toEqual({ kind: 'domain', line: 2, name: 'example.com' });
    expect(parseTargetLine('  8.8.8.8  ', 3)).toEqual({ kind: 'ip', line: 3, ip: '8.8.8.8', family: 4 });
    expect(parseTargetLine('198.18.0.0/30', 4)).toMatchObject({
      kind: 'cidr',
      family: 4,
      first: addressToNumber('198.18.0.0'),
      last: addressToNumber('198.18.0.3'),
    });
    expect(parseTargetLine('2A00:1450::0:200E', 8)).toEqual({ kind: 'ip', line: 8, ip: '2a00:1450::200e', family: 6 });
    expect(parseTargetLine('[2a00::1]', 8)).toEqual({ kind: 'ip', line: 8, ip: '2a00::1', family: 6 });
    expect(parseTargetLine('::ffff:8.8.4.4', 8)).toEqual({ kind: 'ip', line: 8, ip: '8.8.4.4', family: 4 });
    expect(parseTargetLine('fd00:18::/120', 9)).toMatchObject({
      kind: 'cidr',
      family: 6,
      first: addressToNumber('fd00:18::'),
      last: addressToNumber('fd00:18::ff'),
    });
    expect(parseTargetLine('h1.lab # a comment', 6)).toEqual({ kind: 'domain', line: 6, name: 'h1.lab' });
  });

  it('ignores blanks, comments, the Tranco header and a BOM on line 1', () => {
    expect(parseTargetLine('', 1)).toBeNull();
    expect(parseTargetLine('   \r', 9)).toBeNull();
    expect(parseTargetLine('# only a comment', 2)).toBeNull();
    expect(parseTargetLine('rank,domain', 1)).toBeNull();
    expect(parseTargetLine('\uFEFF1,a.com', 1)).toEqual({ kind: 'domain', line: 1, name: 'a.com' });
  });

  it('reports malformed lines with a reason', () => {
    const cases: [string, RegExp][] = [
      ['1.2.3.256', /IPv4/],
      ['1.2.3', /IPv4/],
      ['x,a.com', /Tranco/],
      ['1,a.com,extra', /Tranco/],
      ['10.0.0.1/24', /host bits/],
      ['10.0.0.0/33', /prefix/],
      ['16.0.0.0/4', /larger than/],
      ['2a00::/64', /IPv6 prefix \/64 holds 2\^64 addresses, too many to enumerate/],
      ['2a00::/103', /too many/],
      ['2a00::1/120', /host bits/],
      ['2a00:::1', /IPv6/],
      ['fe80::1%eth0', /IPv6/],
      ['bad_domain!.com', /domain/],
      ['-a.com', /domain/],
      [`${'a'.repeat(64)}.com`, /domain/],
    ];
    for (const [text, reason] of cases) {
      const parsed = parseTargetLine(text, 7);
      expect(parsed?.kind, text).toBe('malformed');
      if (parsed?.kind === 'malformed') {
        expect(parsed.reason, text).toMatch(reason);
        expect(parsed.line).toBe(7);
      }
    }
  });
});

describe('address numbers', () => {
  it('round-trips both families and handles the edges of each space', () => {
    for (const ip of ['0.0.0.0', '1.2.3.4', '198.18.0.1', '255.255.255.255', '::', '::1', 'fd00:18::2', 'ffff::'])
      expect(numberToAddress(addressToNumber(ip))).toBe(ip);
    expect(addressToNumber('255.255.255.255') - addressToNumber('0.0.0.0')).toBe(2n ** 32n - 1n);
    expect(parseAddressCidr('0.0.0.0/0')).toMatchObject({ family: 4, first: addressToNumber('0.0.0.0') });
    // IPv4 sorts before every IPv6 address above ::ffff:255.255.255.255.
    expect(addressToNumber('255.255.255.255') < addressToNumber('2000::')).toBe(true);
    expect(parseAddressCidr('::ffff:0:0/96')).toMatchObject({ family: 6, prefix: 96 });
    expect(parseAddress('01.2.3.4')).toBeNull();
  });
});

describe('readTargetFile', () => {
  it('streams a mixed file with CRLF, BOM and line numbers', async () => {
    const dir = await scratchDir('osfp-targets-');
    const file = join(dir, 'targets.csv');
    await writeFile(file, '\uFEFFrank,domain\r\n1,a.example\r\n\r\n# c\r\n2,b.example\r\nnot a target\r\n9.9.9.9\r\n');
    const lines = [];
    for await (const line of readTargetFile(file)) lines.push(line);
    expect(lines.map((l) => [l.kind, l.line])).toEqual([
      ['domain', 2],
      ['domain', 5],
      ['malformed', 6],
      ['ip', 7],
    ]);
  });

  it('names a missing file', async () => {
    const gen = readTargetFile('/nonexistent/targets.txt');
    await expect(gen.next()).rejects.toThrow(/targets file \/nonexistent\/targets.txt/);
  });
});
