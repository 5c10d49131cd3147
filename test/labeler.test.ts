/**
 * Live labelling in the lab: Nmap runs inside the lab's scanner namespace
 * (the only place scanning may run) against hosts of every personality and
 * the hostile hosts, through @osfp/labeler's public API.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { inNamespace, ipToNumber, numberToIp } from '@osfp/lab';
import type { LabPlan } from '@osfp/lab';
import { DEFAULT_TAXONOMY, labelHosts, nmapPreflight, relabel } from '@osfp/labeler';
import type { BatchReport, LabelOptions, LabelTarget } from '@osfp/labeler';
import { needs } from '@osfp/test-support';
import { startCapture } from './lab-support/lab-traffic.ts';
import { sharedLab } from './lab-support/shared-lab.ts';

const HOSTS_PER_PERSONALITY = 4;

function inScanner(plan: LabPlan): LabelOptions['exec'] {
  return (command, args) => inNamespace(plan.scannerNamespace, command, [...args]);
}

function personalityTargets(plan: LabPlan, perPersonality: number): (LabelTarget & { personality: string })[] {
  return plan.personalities.flatMap((p) =>
    Array.from({ length: perPersonality }, (_, n) => ({
      personality: p.name,
      ip: numberToIp(ipToNumber(p.firstHost) + n),
      openPort: 80,
      closedPort: 1,
    })),
  );
}

/** Nmap processes living in the scanner namespace right now. */
async function nmapsIn(namespace: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ip', ['netns', 'pids', namespace]);
  const pids = stdout.split(/\s+/).filter(Boolean).map(Number);
  const names = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')));
  return pids.filter((_, i) => names[i]?.trim() === 'nmap');
}

describe.skipIf(needs('root', 'netns', 'dnsmasq', 'nmap'))('labeler in the lab', () => {
  const plan = (): LabPlan => {
    const lab = sharedLab();
    if (!lab) throw new Error('the e2e global setup did not bring a lab up');
    return lab;
  };

  it('preflight records the Nmap and nmap-os-db that label the lab', async () => {
    const provenance = await nmapPreflight();
    expect(provenance.nmapVersion).toMatch(/^\d+\.\d+/);
    expect(provenance.osDbSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('labels hosts of every personality, and the hostile hosts, in one call', async () => {
    const lab = plan();
    const targets = personalityTargets(lab, HOSTS_PER_PERSONALITY);
    const hostile = Object.fromEntries(lab.hostile.map((h) => [h.behaviour, h]));
    const hostileTargets: LabelTarget[] = lab.hostile.map((h) => ({ ip: h.ip, openPort: h.port, closedPort: 1 }));
    const reports: BatchReport[] = [];
    const labels = await labelHosts([...targets, ...hostileTargets], {
      exec: inScanner(lab),
      onBatch: (r) => reports.push(r),
    });

    expect(labels.size).toBe(targets.length + hostileTargets.length);
    expect(reports.every((r) => r.error === null && r.exitCode === 0)).toBe(true);
    for (const personality of lab.personalities) {
      const fields = targets.filter((t) => t.personality === personality.name).map((t) => labels.get(t.ip));
      for (const f of fields) {
        // Every personality is this machine's Linux kernel with other sysctls, and Nmap sees through them.
        // (Its guesses tie Linux with Linux-based appliances, whose first osclass can be osfamily "embedded".)
        expect(f?.label_status, personality.name).toBe('ok');
        expect(['Linux', 'embedded'], personality.name).toContain(f?.os_family);
        expect(f?.label, personality.name).toMatch(/^(Linux |embedded$)/);
        expect(f?.label_acc, personality.name).toBeGreaterThanOrEqual(85);
        // Everything needed to relabel is kept: the stored guesses give back the same columns
        // (how the scan went is not in the guesses; a relabelled row keeps its own).
        const { nmap_closed_port, nmap_unreliable, nmap_too_many_matches, nmap_tries } = f!;
        const quality = { nmap_closed_port, nmap_unreliable, nmap_too_many_matches, nmap_tries };
        expect({ ...relabel(f?.nmap_guesses ?? '', DEFAULT_TAXONOMY), ...quality }).toEqual(f);
        expect(nmap_tries, personality.name).toBeGreaterThanOrEqual(1);
      }
    }
    // Hosts that answer the handshake are labelled whatever they do after it.
    for (const behaviour of ['silent', 'garbage', 'endless'] as const) {
      expect(labels.get(hostile[behaviour]?.ip ?? '')?.label_status, behaviour).toBe('ok');
    }
    // No open port (closed) or no answer at all (drop): Nmap runs but cannot guess. A host that
    // answers nothing is firewalled when Nmap got as far as OS detection (it does, or not, by timing).
    for (const behaviour of ['closed', 'drop'] as const) {
      expect(labels.get(hostile[behaviour]?.ip ?? ''), behaviour).toMatchObject({ label: null, nmap_guesses: '[]' });
    }
    expect(labels.get(hostile.closed?.ip ?? '')?.label_status).toBe('no-match');
    expect(['no-match', 'firewalled']).toContain(labels.get(hostile.drop?.ip ?? '')?.label_status);
    expect(await nmapsIn(lab.scannerNamespace)).toEqual([]);
  });

  it("sends each Nmap process's probes from a label source address of its own", async () => {
    const lab = plan();
    const targets = personalityTargets(lab, 4);
    const work = await mkdtemp(join(tmpdir(), 'osfp-label-sources-'));
    try {
      const pcap = join(work, 'out.pcap');
      const stop = await startCapture(lab.scannerNamespace, pcap, ['-Q', 'out', 'ip']);
      const labels = await labelHosts(targets, {
        exec: inScanner(lab),
        processes: 4,
        batchSize: 5,
        sources: lab.labelSources,
      });
      await stop();
      expect([...labels.values()].every((l) => l.label_status === 'ok')).toBe(true);
      const { stdout } = await promisify(execFile)('tcpdump', ['-r', pcap, '-n', '-q', 'dst net 198.19.0.0/16'], {
        maxBuffer: 64 * 1024 * 1024,
      });
      // "IP 198.18.0.150.54321 > 198.19.0.1.80: tcp 0" (ICMP has no port after the address).
      const sourceOf = new Map<string, Set<string>>();
      for (const m of stdout.matchAll(/ IP (\d+\.\d+\.\d+\.\d+)(?:\.\d+)? > (\d+\.\d+\.\d+\.\d+)/g)) {
        const seen = sourceOf.get(m[2]!) ?? new Set<string>();
        seen.add(m[1]!);
        sourceOf.set(m[2]!, seen);
      }
      expect([...sourceOf.keys()].sort()).toEqual(targets.map((t) => t.ip).sort());
      const own = new Set(lab.labelSources.map((s) => s.address));
      // One source per host (its batch's process), never the scanner's own address; four processes, four sources.
      for (const [ip, seen] of sourceOf) {
        expect(seen.size, ip).toBe(1);
        expect(own.has([...seen][0]!), ip).toBe(true);
      }
      expect(new Set([...sourceOf.values()].map((seen) => [...seen][0])).size).toBe(4);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('cancelling mid-scan kills every Nmap in the scanner namespace', async () => {
    const lab = plan();
    const controller = new AbortController();
    const reports: BatchReport[] = [];
    const run = labelHosts(personalityTargets(lab, 16), {
      exec: inScanner(lab),
      signal: controller.signal,
      onBatch: (r) => reports.push(r),
    });
    let running: number[] = [];
    for (let i = 0; i < 50 && running.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      running = await nmapsIn(lab.scannerNamespace);
    }
    expect(running.length).toBeGreaterThan(0);
    controller.abort(new Error('test cancels'));
    await expect(run).rejects.toThrow('test cancels');
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.every((r) => r.stoppedBy === 'abort')).toBe(true);
    expect(await nmapsIn(lab.scannerNamespace)).toEqual([]);
  });

  it('a batch deadline yields timeout labels, not an error', async () => {
    const lab = plan();
    const targets = personalityTargets(lab, 2);
    const labels = await labelHosts(targets, { exec: inScanner(lab), timeoutMs: 300, processes: 1, batchSize: 8 });
    expect(labels.size).toBe(targets.length);
    expect([...labels.values()].every((f) => f.label_status === 'timeout' || f.label_status === 'ok')).toBe(true);
    expect([...labels.values()].some((f) => f.label_status === 'timeout')).toBe(true);
    expect(await nmapsIn(lab.scannerNamespace)).toEqual([]);
  });
});
