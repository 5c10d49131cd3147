import { describe, expect, it } from 'vitest';
import {
  ALIASES,
  MAX_NAMES,
  RESPONSIVE_ADDRESSES,
  labName,
  labNameAddress,
  labNameAddress6,
  labIpv6,
  labCidr6,
  labPlan,
  labTargets,
  maxTargets,
  whoAnswers,
} from '../src/index.ts';
import { dnsmasqZoneOptions } from '../src/dns-zone.ts';

const list = (count: number, format: 'tranco' | 'domains' | 'ips', hostile = false): string[] => [
  ...labTargets(count, format, { hostile }),
];

describe('lab DNS zone', () => {
  it('gives every personality address one name per alias, and maps names back', () => {
    const ip = '198.19.64.17';
    const names = ALIASES.map((_a, alias) => labName(ip, alias));
    expect(names[0]).toBe('www-16401.osfp-lab.test');
    expect(new Set(names).size).toBe(ALIASES.length);
    for (const name of names) expect(name && labNameAddress(name)).toBe(ip);
    expect(labName(ip, ALIASES.length)).toBeNull();
    expect(labName('198.18.250.3')).toBe('odd-3.osfp-lab.test');
    expect(labNameAddress('odd-3.osfp-lab.test')).toBe('198.18.250.3');
    expect(labNameAddress('WWW-1.OSFP-LAB.TEST.')).toBe('198.19.0.1');
  });

  it('names emulated hosts with an "e" before the number, counted from 198.18.4.0', () => {
    expect(labName('198.18.4.5')).toBe('www-e5.osfp-lab.test');
    expect(labName('198.18.8.6', 1)).toBe('shop-e1030.osfp-lab.test');
    expect(labNameAddress('shop-e1030.osfp-lab.test')).toBe('198.18.8.6');
    expect(labNameAddress('www-e62463.osfp-lab.test')).toBe('198.18.247.255');
    expect(labNameAddress('www-e62464.osfp-lab.test')).toBeNull();
    expect(labNameAddress('odd-e1.osfp-lab.test')).toBeNull();
    expect(labName('198.18.250.9', 1)).toBeNull();
    expect(whoAnswers('198.18.4.5')).toEqual({ emulated: 'linux26' });
    expect(whoAnswers('198.18.200.5')).toEqual({ emulated: 'extra-49' });
    expect(whoAnswers('198.18.4.0')).toBeNull();
  });

  it('rejects names outside the zone', () => {
    for (const name of [
      'www-1.example.com',
      'nope-1.osfp-lab.test',
      'www-65536.osfp-lab.test',
      'www-01.osfp-lab.test',
      'www.osfp-lab.test',
    ]) {
      expect(labNameAddress(name), name).toBeNull();
    }
  });

  it('configures dnsmasq with one sequential synth-domain per alias and no upstream', () => {
    const options = dnsmasqZoneOptions();
    expect(options).toContain('--synth-domain=osfp-lab.test,198.19.0.0,198.19.255.255,www-*');
    expect(options).toContain('--synth-domain=osfp-lab.test,198.18.4.0,198.18.247.255,www-e*');
    // AAAA: the same names, numbered the same way, for the dual-stack hosts (personalities and hostile ones).
    expect(options).toContain('--synth-domain=osfp-lab.test,fd00:18::c613:0/112,www-*');
    expect(options).toContain('--synth-domain=osfp-lab.test,fd00:18::c612:fa00/120,odd-*');
    expect(options.filter((o) => o.startsWith('--synth-domain='))).toHaveLength(3 * ALIASES.length + 2);
    expect(options).toContain('--local=/osfp-lab.test/');
  });
});

describe('the IPv6 twins of lab names', () => {
  it('maps a dual-stack name to its IPv4 address embedded in fd00:18::/96, and emulated names to none', () => {
    expect(labNameAddress6('www-5.osfp-lab.test')).toBe('fd00:18::c613:5');
    expect(labIpv6('198.19.0.5')).toBe('fd00:18::c613:5');
    expect(labNameAddress6('odd-1.osfp-lab.test')).toBe(labIpv6(labNameAddress('odd-1.osfp-lab.test')!));
    expect(labNameAddress6('www-e5.osfp-lab.test')).toBeNull();
    expect(labNameAddress6('nope.example')).toBeNull();
    expect(labCidr6('198.19.64.0/18')).toBe('fd00:18::c613:4000/114');
  });
});

describe('labTargets', () => {
  it('writes tranco, domains and ips formats', () => {
    const tranco = list(6, 'tranco');
    expect(tranco[0]).toBe('1,www-1.osfp-lab.test');
    tranco.forEach((line, i) => expect(line).toMatch(new RegExp(`^${i + 1},[a-z]+-\\d+\\.osfp-lab\\.test$`)));
    expect(list(6, 'domains')).toEqual(tranco.map((l) => l.split(',')[1]));
    const ips = list(13, 'ips');
    expect(ips.slice(0, 4)).toEqual(labPlan().personalities.map((p) => p.firstHost));
    expect(ips.slice(4, 13)).toEqual(labPlan().emulated.map((e) => e.firstHost));
    expect(new Set(ips).size).toBe(13);
  });

  it('spreads names over every personality and default emulated OS, and gives addresses several names', () => {
    const names = list(1_000, 'domains');
    expect(new Set(names).size).toBe(1_000);
    const perSource = new Map<string, number>();
    const perAddress = new Map<string, number>();
    for (const name of names) {
      const ip = labNameAddress(name);
      expect(ip, name).not.toBeNull();
      const who = whoAnswers(ip ?? '');
      expect(who !== null && ('personality' in who || 'emulated' in who), name).toBe(true);
      const source = who && 'personality' in who ? who.personality : who && 'emulated' in who ? who.emulated : '';
      perSource.set(source, (perSource.get(source) ?? 0) + 1);
      perAddress.set(ip ?? '', (perAddress.get(ip ?? '') ?? 0) + 1);
    }
    const plan = labPlan();
    expect([...perSource.keys()].sort()).toEqual(
      [...plan.personalities.map((p) => p.name), ...plan.emulated.map((e) => e.slug)].sort(),
    );
    for (const count of perSource.values()) expect(count).toBeGreaterThan(50);
    const counts = [...perAddress.values()];
    expect(Math.max(...counts)).toBe(3);
    expect(counts.filter((c) => c > 1).length).toBeGreaterThan(counts.length / 2);
  });

  it('lists every emulated host once, then only personality hosts, in the ips format', () => {
    const ips = list(RESPONSIVE_ADDRESSES, 'ips');
    expect(new Set(ips).size).toBe(RESPONSIVE_ADDRESSES);
    const emulated = ips.filter((ip) => ip.startsWith('198.18.'));
    expect(emulated).toHaveLength(9 * 1022);
    const lastEmulated = ips.lastIndexOf(emulated[emulated.length - 1] ?? '');
    expect(lastEmulated).toBeLessThan(13 * 1022);
    expect(ips.slice(lastEmulated + 1).every((ip) => ip.startsWith('198.19.'))).toBe(true);
  });

  it('builds the same names as labName', () => {
    for (const name of list(3_000, 'domains')) {
      const ip = labNameAddress(name) ?? '';
      const alias = ALIASES.indexOf(name.split('-')[0] ?? '');
      expect(labName(ip, alias)).toBe(name);
    }
  });

  it('is a prefix-stable sequence: a shorter list is the start of a longer one', () => {
    expect(list(500, 'tranco')).toEqual(list(2_000, 'tranco').slice(0, 500));
  });

  it('adds each hostile host once, only when asked', () => {
    const plain = list(100, 'ips');
    expect(plain.some((ip) => ip.startsWith('198.18.250.'))).toBe(false);
    const hostile = list(100, 'ips', true);
    const odd = hostile.filter((ip) => ip.startsWith('198.18.250.'));
    expect(odd).toEqual(labPlan().hostile.map((h) => h.ip));
    expect(hostile.indexOf(odd[0] ?? '')).toBe(4);
    expect(list(60, 'domains', true).filter((n) => n.startsWith('odd-'))).toHaveLength(5);
  });

  it('reaches a million distinct names', () => {
    expect(MAX_NAMES).toBeGreaterThanOrEqual(1_000_000);
    const seen = new Set<string>();
    let last = '';
    for (const name of labTargets(1_000_000, 'domains')) {
      seen.add(name);
      last = name;
    }
    expect(seen.size).toBe(1_000_000);
    expect(labNameAddress(last)).not.toBeNull();
  }, 60_000);

  it('rejects counts and formats it cannot serve, naming the limit', () => {
    expect(maxTargets('ips')).toBe(RESPONSIVE_ADDRESSES);
    expect(() => list(RESPONSIVE_ADDRESSES + 1, 'ips')).toThrow(/out of range.*use 0\.\.74726/);
    expect(() => labTargets(-1, 'tranco')).toThrow(RangeError);
    expect(() => labTargets(1.5, 'tranco')).toThrow(RangeError);
    expect(() => labTargets(1, 'csv' as 'tranco')).toThrow(/format "csv" is unknown/);
  });
});
