import { describe, expect, it } from 'vitest';
import {
  ALIASES,
  MAX_NAMES,
  RESPONSIVE_ADDRESSES,
  labName,
  labNameAddress,
  labPlan,
  labTargets,
  maxTargets,
  whoAnswers,
} from '../src/index.ts';
import { dnsmasqZoneOptions } from '../src/dns-zone.ts';

const list = (count: number, format: 'tranco' | 'domains' | 'ips', hostile = false): string[] => [...labTargets(count, format, { hostile })];

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

  it('rejects names outside the zone', () => {
    for (const name of ['www-1.example.com', 'nope-1.osfp-lab.test', 'www-65536.osfp-lab.test', 'www-01.osfp-lab.test', 'www.osfp-lab.test']) {
      expect(labNameAddress(name), name).toBeNull();
    }
  });

  it('configures dnsmasq with one sequential synth-domain per alias and no upstream', () => {
    const options = dnsmasqZoneOptions();
    expect(options).toContain('--synth-domain=osfp-lab.test,198.19.0.0,198.19.255.255,www-*');
    expect(options.filter((o) => o.startsWith('--synth-domain='))).toHaveLength(ALIASES.length + 1);
    expect(options).toContain('--local=/osfp-lab.test/');
  });
});

describe('labTargets', () => {
  it('writes tranco, domains and ips formats', () => {
    const tranco = list(6, 'tranco');
    expect(tranco[0]).toBe('1,www-1.osfp-lab.test');
    tranco.forEach((line, i) => expect(line).toMatch(new RegExp(`^${i + 1},[a-z]+-\\d+\\.osfp-lab\\.test$`)));
    expect(list(6, 'domains')).toEqual(tranco.map((l) => l.split(',')[1]));
    const ips = list(8, 'ips');
    expect(ips.slice(0, 4)).toEqual(labPlan().personalities.map((p) => p.firstHost));
    expect(new Set(ips).size).toBe(8);
  });

  it('spreads names over every personality and gives addresses several names', () => {
    const names = list(1_000, 'domains');
    expect(new Set(names).size).toBe(1_000);
    const perPersonality = new Map<string, number>();
    const perAddress = new Map<string, number>();
    for (const name of names) {
      const ip = labNameAddress(name);
      expect(ip, name).not.toBeNull();
      const who = whoAnswers(ip ?? '');
      expect(who && 'personality' in who).toBe(true);
      if (who && 'personality' in who) perPersonality.set(who.personality, (perPersonality.get(who.personality) ?? 0) + 1);
      perAddress.set(ip ?? '', (perAddress.get(ip ?? '') ?? 0) + 1);
    }
    expect(perPersonality.size).toBe(labPlan().personalities.length);
    for (const count of perPersonality.values()) expect(count).toBeGreaterThan(200);
    const counts = [...perAddress.values()];
    expect(Math.max(...counts)).toBe(3);
    expect(counts.filter((c) => c > 1).length).toBeGreaterThan(counts.length / 2);
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
    expect(() => list(RESPONSIVE_ADDRESSES + 1, 'ips')).toThrow(/out of range.*use 0\.\.65528/);
    expect(() => labTargets(-1, 'tranco')).toThrow(RangeError);
    expect(() => labTargets(1.5, 'tranco')).toThrow(RangeError);
    expect(() => labTargets(1, 'csv' as 'tranco')).toThrow(/format "csv" is unknown/);
  });
});
