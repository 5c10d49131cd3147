import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EMULATED, labNameAddress } from '@osfp/lab';
import { needs } from '@osfp/test-support';
import { runOsfp } from './support/run-osfp.ts';

describe('osfp lab truth', { timeout: 60_000 }, () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osfp-lab-truth-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes ip, fingerprint and class for every address of a lab, every default emulated class on its block', async () => {
    // A prefix no lab uses: the truth of the default plan, with no root and nothing brought up.
    const out = join(dir, 'truth.csv');
    const { code, err } = await runOsfp('lab', 'truth', '--prefix', 'notup', '--out', out);
    expect(code).toBe(0);
    expect(err).toMatch(/74726 addresses written/);
    const rows = parse(await readFile(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!).slice(0, 3)).toEqual(['ip', 'fingerprint', 'class']);
    const emulated = new Map<string, number>();
    for (const row of rows.filter((r) => r['source'] === 'emulated')) {
      emulated.set(row['class']!, (emulated.get(row['class']!) ?? 0) + 1);
    }
    expect([...emulated.keys()].sort()).toEqual([
      'FreeBSD 6.X',
      'Linux 2.6.X',
      'Linux 3.X',
      'Linux 4.X',
      'Linux 5.X',
      'OpenBSD 4.X',
      'Windows 2012',
      'Windows 2016',
      'embedded',
    ]);
    expect(new Set(emulated.values())).toEqual(new Set([1022]));
    expect(new Set(rows.map((r) => r['ip'])).size).toBe(rows.length);
  });
});

describe('osfp lab targets joined with osfp lab truth', { timeout: 60_000 }, () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osfp-lab-targets-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("gives the demo's 1,000 names hosts of every default emulated class beside the kernel personalities", async () => {
    // What scripts/demo.sh writes and collects; the truth of the same (default) plan.
    const targetsFile = join(dir, 'lab-tranco.csv');
    const truthFile = join(dir, 'truth.csv');
    expect((await runOsfp('lab', 'targets', '--count', '1000', '--format', 'tranco', '--out', targetsFile)).code).toBe(
      0,
    );
    expect((await runOsfp('lab', 'truth', '--prefix', 'notup', '--out', truthFile)).code).toBe(0);
    const truth = new Map(
      (parse(await readFile(truthFile, 'utf8'), { columns: true }) as Record<string, string>[]).map((r) => [
        r['ip'],
        r,
      ]),
    );
    const lines = (await readFile(targetsFile, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1_000);
    const hostsPerClass = new Map<string, Set<string>>();
    const kernelHosts = new Set<string>();
    for (const line of lines) {
      const ip = labNameAddress(line.split(',')[1] ?? '');
      const row = truth.get(ip ?? '');
      expect(row, line).toBeDefined();
      if (row!['source'] === 'kernel') kernelHosts.add(ip!);
      else hostsPerClass.set(row!['class']!, (hostsPerClass.get(row!['class']!) ?? new Set()).add(ip!));
    }
    expect([...hostsPerClass.keys()].sort()).toEqual(DEFAULT_EMULATED.map((d) => d.expectedClass).sort());
    // Enough hosts of each that Nmap missing a few still leaves the class in the version's histogram.
    for (const [cls, hosts] of hostsPerClass) expect(hosts.size, cls).toBeGreaterThanOrEqual(30);
    expect(kernelHosts.size).toBeGreaterThanOrEqual(4 * 30);
  });
});

describe.skipIf(needs('root'))('osfp lab up --os', { timeout: 60_000 }, () => {
  it('refuses an unknown fingerprint name before touching anything, naming the closest ones', async () => {
    const { code, err } = await runOsfp('lab', 'up', '--prefix', 'notup', '--os', 'Microsoft Windows Server 2999');
    expect(code).toBe(2);
    expect(err).toMatch(
      /no fingerprint named "Microsoft Windows Server 2999" in nmap-os-db; closest names: "Microsoft Windows Server/,
    );
    expect(err).not.toMatch(/\n\s+at /);
  });
});
