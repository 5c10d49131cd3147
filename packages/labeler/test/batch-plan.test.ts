import { describe, expect, it } from 'vitest';
import { nmapArgs, planBatches, validateTargets } from '../src/index.ts';
import type { LabelTarget } from '../src/index.ts';

const hosts = (n: number, openPort = 80): LabelTarget[] =>
  Array.from({ length: n }, (_, i) => ({ ip: `198.18.${i >> 8}.${i & 255}`, openPort }));

describe('validateTargets', () => {
  it.each([
    ['example.com'],
    ['198.18.0.1; rm -rf /'],
    ['198.18.0.1 -oN /etc/passwd'],
    ['--script=evil'],
    ['198.18.0.0/24'],
    ['fe80::1%eth0'],
    ['2001:db8::1/64'],
    ['[2001:db8::1]'],
    ['010.1.2.3'],
    [' 198.18.0.1'],
    [''],
  ])('refuses %j before Nmap sees it', (ip) => {
    expect(() => validateTargets([{ ip, openPort: 80 }])).toThrow(/not an IPv4 address/);
  });

  it('takes IPv6 addresses, and never mixes families in one Nmap batch (IPv6 ones run with -6)', () => {
    const v6 = Array.from({ length: 5 }, (_, i) => ({ ip: `fd00:18::${i + 1}`, openPort: 80 }));
    expect(() => validateTargets(v6)).not.toThrow();
    const batches = planBatches([...hosts(15), ...v6], 16, 4);
    expect(batches.every((b) => b.targets.every((t) => t.ip.includes(':') === (b.family === 6)))).toBe(true);
    expect(batches.filter((b) => b.family === 6).flatMap((b) => b.targets)).toHaveLength(5);
    expect(batches.filter((b) => b.family === 4).flatMap((b) => b.targets)).toHaveLength(15);
    const six = batches.find((b) => b.family === 6)!;
    expect(nmapArgs(six)[0]).toBe('-6');
    expect(nmapArgs(batches.find((b) => b.family === 4)!)).not.toContain('-6');
  });

  it('refuses bad ports', () => {
    expect(() => validateTargets([{ ip: '198.18.0.1', openPort: 0 }])).toThrow(/openPort 0/);
    expect(() => validateTargets([{ ip: '198.18.0.1', openPort: 80, closedPort: 70000 }])).toThrow(/closedPort 70000/);
    expect(() => validateTargets([{ ip: '198.18.0.1', openPort: 80.5 }])).toThrow(/openPort/);
  });

  it('accepts dotted quads', () => {
    expect(() => validateTargets(hosts(3))).not.toThrow();
  });
});

describe('planBatches', () => {
  it('spreads hosts evenly over at least `processes` batches, none above batchSize', () => {
    const sizes = (n: number, batchSize: number, processes: number) =>
      planBatches(hosts(n), batchSize, processes).map((b) => b.targets.length);
    expect(sizes(100, 64, 4)).toEqual([25, 25, 25, 25]);
    expect(sizes(256, 64, 4)).toEqual([64, 64, 64, 64]);
    expect(sizes(300, 64, 4)).toEqual([60, 60, 60, 60, 60]);
    expect(sizes(3, 64, 4)).toEqual([1, 1, 1]);
    expect(sizes(0, 64, 4)).toEqual([]);
  });

  it('one entry per IP, every input IP planned once', () => {
    const input = [...hosts(10), ...hosts(10, 443)];
    const planned = planBatches(input, 4, 2).flatMap((b) => b.targets.map((t) => t.ip));
    expect(planned.sort()).toEqual(
      hosts(10)
        .map((h) => h.ip)
        .sort(),
    );
  });

  it('scans the union of the batch ports, hosts with the same ports together', () => {
    const input: LabelTarget[] = [
      { ip: '198.18.0.1', openPort: 443, closedPort: 1 },
      { ip: '198.18.0.2', openPort: 80, closedPort: 1 },
      { ip: '198.18.0.3', openPort: 443, closedPort: 1 },
      { ip: '198.18.0.4', openPort: 80 },
    ];
    const batches = planBatches(input, 2, 1);
    expect(batches.map((b) => [b.targets.map((t) => t.ip), b.portSpec])).toEqual([
      [['198.18.0.4', '198.18.0.2'], 'T:1,80'],
      [['198.18.0.1', '198.18.0.3'], 'T:1,443'],
    ]);
  });

  it('adds a closed port for hosts given without one, unless told not to', () => {
    expect(planBatches(hosts(2), 64, 1).map((b) => b.portSpec)).toEqual(['T:1,80']);
    expect(planBatches(hosts(2), 64, 1, 113).map((b) => b.portSpec)).toEqual(['T:80,113']);
    expect(planBatches(hosts(2), 64, 1, null).map((b) => b.portSpec)).toEqual(['T:80']);
    expect(planBatches([{ ip: '198.18.0.1', openPort: 80, closedPort: 8 }], 64, 1).map((b) => b.portSpec)).toEqual([
      'T:8,80',
    ]);
  });
});

describe('nmapArgs', () => {
  it('targets only on stdin, XML on stdout, OS detection tuned for throughput', () => {
    const [batch] = planBatches(hosts(5), 64, 1);
    if (!batch) throw new Error('no batch');
    const args = nmapArgs(batch);
    expect(args.slice(-2)).toEqual(['-iL', '-']);
    expect(args.join(' ')).not.toMatch(/198\.18/);
    expect(args).toEqual(
      expect.arrayContaining([
        '-O',
        '-Pn',
        '-n',
        '-T4',
        '--noninteractive',
        '-oX',
        '--max-os-tries',
        '1',
        '--min-hostgroup',
        '5',
        '-p',
        'T:1,80',
      ]),
    );
  });
});
