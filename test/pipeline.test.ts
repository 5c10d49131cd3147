/**
 * The main job, end to end (issue 5, item 11), exactly as the README's quick
 * start and scripts/demo.sh run it: lab targets in Tranco format, then
 * `osfp collect --lab --targets FILE`, then `osfp dataset show NAME`. The new
 * version must hold every responsive lab host once, with its SYN-ACK
 * features, all its names and an Nmap label. Run with `--ip-version both`:
 * the lab's dual-stack hosts are then rows twice, once per family, the IPv6
 * ones labelled by `nmap -6`. Like the demo's, the list holds hosts of every
 * default emulated OS (issue 11): each gets a label whose top two name its
 * true class.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EMULATED, labTargets, labTruth } from '@osfp/lab';
import { needs, scratchDir } from '@osfp/test-support';
import { sharedLab } from './lab-support/shared-lab.ts';
import { checkEveryHostOnce, expectedResponsive, latestRows, runOsfp } from './pipeline-helpers.ts';

describe.skipIf(needs('root', 'netns', 'redis-server', 'nmap', 'dnsmasq'))('pnpm collect --lab (the main job)', () => {
  it('produces a labelled dataset version with every responsive lab host exactly once', async () => {
    const plan = sharedLab();
    expect(plan).not.toBeNull();
    const dir = await scratchDir('osfp-pipeline-');
    const targets = join(dir, 'lab-tranco.csv');
    await writeFile(targets, `${[...labTargets(60, 'tranco', { hostile: true })].join('\n')}\n`);
    const dataDir = join(dir, 'data');

    const collect = await runOsfp([
      'collect',
      '--lab',
      plan!.prefix,
      '--targets',
      targets,
      '--data-dir',
      dataDir,
      '--timeout',
      '3s',
      '--batch-size',
      '16',
      '--ip-version',
      'both',
      '--progress',
      'log',
    ]);
    expect(collect.code, collect.output).toBe(0);
    expect(collect.output).toMatch(/dataset: +lab-tranco@1/);
    // In the lab every Nmap process sends from one of the scanner's label source addresses.
    expect(collect.output).toContain(
      `Nmap processes send from ${plan!.labelSources.length} source addresses, one each`,
    );

    const expected = await expectedResponsive(targets, new Set([4, 6]));
    expect(expected.size).toBeGreaterThan(20);
    const { version, rows } = await latestRows(dataDir, 'lab-tranco');
    expect(version).toBe(1);
    expect(checkEveryHostOnce(rows, expected)).toEqual([]);
    // Both families, each with its own signature form; every SYN-ACK paired with its SYN.
    const v6 = rows.filter((r) => r.ip.includes(':'));
    expect(v6.length).toBeGreaterThan(5);
    expect(v6.every((r) => r.ip_version === 6 && r.p0f_sig.startsWith('6:'))).toBe(true);
    expect(rows.filter((r) => !r.ip.includes(':')).every((r) => r.ip_version === 4 && r.p0f_sig.startsWith('4:'))).toBe(
      true,
    );
    expect(rows.every((r) => (r.synack_count ?? 0) >= 1 && r.syn_retransmitted !== null)).toBe(true);
    // `nmap -6 -O` ran on every IPv6 host. Its IPv6 classifier names this lab's kernel only now and then
    // (usually "No OS matches", with a below-threshold guess in the text output only): no-match is its answer.
    expect(v6.every((r) => ['ok', 'no-match'].includes(r.label_status))).toBe(true);
    const v4rows = rows.filter((r) => r.ip_version === 4);
    const labelled = v4rows.filter((r) => r.label_status === 'ok');
    // Hostile hosts may defeat Nmap; every well-behaved personality host gets a label.
    expect(labelled.length).toBeGreaterThanOrEqual(v4rows.length - 3);
    expect(labelled.every((r) => typeof r.label === 'string' && r.label.length > 0)).toBe(true);
    expect(new Set(rows.map((r) => r.tcp_window)).size).toBeGreaterThan(1);
    // The emulated hosts (ground truth joined by address): every default OS is there, labelled, its class in Nmap's top two.
    const truth = new Map([...labTruth(plan!)].map((t) => [t.ip, t]));
    const emulated = v4rows.filter((r) => truth.get(r.ip)?.source === 'emulated');
    expect(new Set(emulated.map((r) => truth.get(r.ip)?.class)).size).toBe(DEFAULT_EMULATED.length);
    expect(
      emulated
        .filter((r) => ![r.label, r.label_2].includes(truth.get(r.ip)?.class ?? ''))
        .map((r) => `${r.ip} ${truth.get(r.ip)?.fingerprint}: ${r.label_status} ${r.label} / ${r.label_2}`),
    ).toEqual([]);

    const show = await runOsfp(['dataset', 'show', 'lab-tranco', '--data-dir', dataDir]);
    expect(show.code, show.output).toBe(0);
    expect(show.output).toContain('lab-tranco');
  }, 300_000);
});
