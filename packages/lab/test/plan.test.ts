import { describe, expect, it } from 'vitest';
import {
  HOSTS_PER_PERSONALITY,
  PERSONALITIES,
  hostileAddress,
  inNamespace,
  ipToNumber,
  isLabNamespace,
  labNamespaces,
  labPlan,
  numberToIp,
  personalityHost,
  scannerAddress,
  scannerNamespace,
  whoAnswers,
} from '../src/index.ts';
import { stackRouteMetrics, stackSysctls } from '../src/personalities.ts';
import {
  EMULATED_BASE,
  EMULATED_END,
  EMULATED_ROUTES,
  MAX_EMULATED,
  emulatedCidr,
  emulatedHost,
  HOSTS_PER_EMULATED,
} from '../src/plan.ts';

const LAB = [ipToNumber('198.18.0.0'), ipToNumber('198.19.255.255')] as const;
const inLab = (ip: string): boolean => ipToNumber(ip) >= LAB[0] && ipToNumber(ip) <= LAB[1];

describe('labPlan', () => {
  it('derives every name from the prefix and keeps every address in 198.18.0.0/15', () => {
    const plan = labPlan({ prefix: 'abc' });
    expect(plan).toMatchObject({
      prefix: 'abc',
      scannerNamespace: 'abc-scan',
      scannerAddress: '198.18.0.10',
      dnsServer: '198.18.0.53',
      domain: 'osfp-lab.test',
      allowCidr: '198.18.0.0/15',
      allowCidr6: 'fd00:18::/96',
    });
    expect(plan.personalities.map((p) => p.namespace)).toEqual(PERSONALITIES.map((p) => `abc-${p.name}`));
    for (const p of plan.personalities) {
      expect(inLab(p.firstHost)).toBe(true);
      expect(p.cidr).toMatch(/^198\.19\.\d+\.0\/18$/);
    }
    for (const h of plan.hostile) expect(inLab(h.ip)).toBe(true);
    expect(plan.hostile.map((h) => h.behaviour)).toEqual(['silent', 'garbage', 'endless', 'closed', 'drop']);
    expect(new Set(plan.hostile.map((h) => h.ip)).size).toBe(5);
  });

  it('takes the prefix from OSFP_LAB_PREFIX, then "osfp"', () => {
    const saved = process.env['OSFP_LAB_PREFIX'];
    try {
      process.env['OSFP_LAB_PREFIX'] = 'fromenv';
      expect(labPlan().prefix).toBe('fromenv');
      delete process.env['OSFP_LAB_PREFIX'];
      expect(labPlan().prefix).toBe('osfp');
      expect(labPlan({ prefix: 'given' }).prefix).toBe('given');
    } finally {
      if (saved === undefined) delete process.env['OSFP_LAB_PREFIX'];
      else process.env['OSFP_LAB_PREFIX'] = saved;
    }
  });

  it('rejects prefixes that could collide with other labs or overflow interface names', () => {
    for (const bad of ['', 'Osfp', 'a-b', '1ab', 'abcdefghijk', 'a b', '../x']) {
      expect(() => labPlan({ prefix: bad }), bad).toThrow(/lab prefix .* is invalid/);
    }
  });

  it('personalities differ from each other in their expected SYN-ACK', () => {
    const expects = PERSONALITIES.map((p) => JSON.stringify(p.expect));
    expect(new Set(expects).size).toBe(PERSONALITIES.length);
    expect(new Set(PERSONALITIES.map((p) => p.expect.ittl))).toEqual(new Set([64, 128, 255]));
    expect(PERSONALITIES.length).toBeGreaterThanOrEqual(4);
  });

  it('turns stack settings into sysctls and route metrics', () => {
    const embedded = PERSONALITIES.find((p) => p.name === 'embedded');
    expect(embedded).toBeDefined();
    if (!embedded) return;
    expect(Object.fromEntries(stackSysctls(embedded.stack))).toMatchObject({
      'net.ipv4.ip_default_ttl': '255',
      'net.ipv4.tcp_timestamps': '0',
      'net.ipv4.tcp_window_scaling': '0',
      'net.ipv4.tcp_sack': '0',
    });
    expect(stackRouteMetrics(embedded.stack)).toEqual(['advmss', '536', 'initrwnd', '4']);
    const windows = PERSONALITIES.find((p) => p.name === 'windows');
    // A clamp of 2^24-1 gives window scale 8: ilog2(2^24-1) - 15.
    expect(windows && stackRouteMetrics(windows.stack)).toEqual(['advmss', '1460', 'window', String(2 ** 24 - 1)]);
  });
});

describe('names and addresses', () => {
  it('converts addresses both ways', () => {
    expect(ipToNumber('198.19.64.1')).toBe(3323150337);
    expect(numberToIp(3323150337)).toBe('198.19.64.1');
    for (const bad of ['1.2.3', '1.2.3.256', 'a.b.c.d', '1.2.3.4.5'])
      expect(() => ipToNumber(bad)).toThrow(/not an IPv4/);
  });

  it('maps hosts of each personality into its own block, and back', () => {
    for (const [index, p] of PERSONALITIES.entries()) {
      const first = personalityHost(index, 0);
      const last = personalityHost(index, HOSTS_PER_PERSONALITY - 1);
      expect(whoAnswers(first)).toEqual({ personality: p.name });
      expect(whoAnswers(last)).toEqual({ personality: p.name });
      expect(last.endsWith('.254')).toBe(true);
    }
    expect(() => personalityHost(0, HOSTS_PER_PERSONALITY)).toThrow(RangeError);
    expect(whoAnswers(hostileAddress('drop'))).toEqual({ hostile: 'drop' });
    expect(whoAnswers('198.18.0.10')).toBeNull();
    expect(whoAnswers('8.8.8.8')).toBeNull();
  });

  it('names scanner namespaces and addresses', () => {
    expect(scannerNamespace('x', 1)).toBe('x-scan');
    expect(scannerNamespace('x', 2)).toBe('x-scan2');
    expect(scannerAddress(2)).toBe('198.18.0.11');
    expect(() => scannerAddress(0)).toThrow(/out of range/);
    expect(() => scannerNamespace('x', 41)).toThrow(/out of range/);
  });

  it("recognises exactly its own namespaces, not another lab's", () => {
    const own = labNamespaces('osfp');
    for (const name of [own.hub, own.scanner, own.hostile, ...own.personalities, 'osfp-scan2', 'osfp-scan40']) {
      expect(isLabNamespace('osfp', name), name).toBe(true);
    }
    for (const name of [
      'osfpt-hub',
      'osfpt-scan',
      'osfp-scan1',
      'osfp-scan02',
      'osfp-scan41',
      'osfp-other',
      'osfp',
      'xosfp-hub',
    ]) {
      expect(isLabNamespace('osfp', name), name).toBe(false);
    }
  });

  it('builds `ip netns exec` command lines', () => {
    expect(inNamespace('osfp-scan', 'nmap', ['-O', '198.19.0.1'])).toEqual([
      'ip',
      ['netns', 'exec', 'osfp-scan', 'nmap', '-O', '198.19.0.1'],
    ]);
  });
});

describe('emulated OS blocks', () => {
  const range = (cidr: string): [number, number] => {
    const [addr = '', bits = '32'] = cidr.split('/');
    const base = ipToNumber(addr);
    return [base, base + 2 ** (32 - Number(bits)) - 1];
  };

  it('gives each default emulated OS its own /22 inside 198.18.0.0/15, clear of the LAN, the hostile block and the personalities', () => {
    const plan = labPlan({ prefix: 'abc' });
    expect(plan.emulationNamespace).toBe('abc-emu');
    expect(plan.emulated.length).toBeGreaterThanOrEqual(9);
    const taken = [range('198.18.0.0/24'), range('198.18.250.0/24'), range('198.19.0.0/16')];
    for (const e of plan.emulated) {
      const [lo, hi] = range(e.cidr);
      expect(hi - lo + 1).toBe(1024);
      expect(inLab(numberToIp(lo)) && inLab(numberToIp(hi))).toBe(true);
      for (const [tlo, thi] of taken) expect(hi < tlo || lo > thi, e.cidr).toBe(true);
      expect(e.firstHost).toBe(emulatedHost(e.index, 0));
    }
    expect(new Set(plan.emulated.map((e) => e.cidr)).size).toBe(plan.emulated.length);
    expect(HOSTS_PER_EMULATED).toBeGreaterThanOrEqual(1000);
  });

  it('routes exactly the range every possible block lies in', () => {
    const routes = EMULATED_ROUTES.map(range).sort((a, b) => a[0] - b[0]);
    expect(routes[0]?.[0]).toBe(EMULATED_BASE);
    for (let i = 1; i < routes.length; i++) expect(routes[i]?.[0]).toBe((routes[i - 1]?.[1] ?? 0) + 1);
    expect(routes[routes.length - 1]?.[1]).toBe(EMULATED_END);
    expect(range(emulatedCidr(MAX_EMULATED - 1))[1]).toBe(EMULATED_END);
    expect(() => emulatedHost(MAX_EMULATED, 0)).toThrow(RangeError);
    expect(isLabNamespace('osfp', 'osfp-emu')).toBe(true);
    expect(isLabNamespace('osfp', 'osfpx-emu')).toBe(false);
  });
});
