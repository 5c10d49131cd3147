/**
 * The emulated OSes (issue 11), end to end in the shared lab: the emulation
 * namespace's kernel stays silent; Nmap, run the way the labeler runs it,
 * names every default emulated OS as its class; each host's SYN-ACK reads the
 * same in p0f and in osfp's extractor and carries the fingerprint's values;
 * the prober is served at least half as fast as by the kernel personalities;
 * hosts behind 1 % loss and 50-250 ms of delay still complete their exchange
 * and get a label; a seeded sample of 40 fingerprints across families and
 * device types is recognised; a responder that dies is reported by `lab status`
 * and restarted by `lab up`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_EMULATED,
  emulatedHost,
  inNamespace,
  labStatus,
  labTruth,
  labUp,
  loadOsDb,
  personalityHost,
  requireFingerprint,
  sampleFingerprintNames,
  type EmulatedOs,
  type LabPlan,
} from '@osfp/lab';
import { labelHosts } from '@osfp/labeler';
import { matchesExpression } from '../packages/lab/src/emulator/expressions.ts';
import { needs } from '@osfp/test-support';
import { probeInNamespace } from './lab-support/probe-run.ts';
import { startCapture } from './lab-support/lab-traffic.ts';
import { runOsfp } from './pipeline-helpers.ts';
import { sharedLab } from './lab-support/shared-lab.ts';

const execFileAsync = promisify(execFile);

/** Nmap's option string (M5B4NW8ST11...) from raw TCP options in hex. */
function nmapOptionString(hexOptions: string): string {
  const b = Buffer.from(hexOptions, 'hex');
  let out = '';
  for (let i = 0; i < b.length;) {
    const kind = b[i]!;
    if (kind === 0 || kind === 1) {
      out += kind === 0 ? 'L' : 'N';
      i++;
      continue;
    }
    const len = b[i + 1] ?? 2;
    if (kind === 2)
      out += `M${b
        .readUInt16BE(i + 2)
        .toString(16)
        .toUpperCase()}`;
    else if (kind === 3) out += `W${b[i + 2]!.toString(16).toUpperCase()}`;
    else if (kind === 4) out += 'S';
    else if (kind === 8) out += `T${b.readUInt32BE(i + 2) ? 1 : 0}${b.readUInt32BE(i + 6) ? 1 : 0}`;
    i += Math.max(2, len);
  }
  return out;
}

async function packetCount(file: string, filter = ''): Promise<number> {
  const { stdout } = await execFileAsync('tcpdump', ['-r', file, '-n', ...(filter ? [filter] : [])], {
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return stdout.split('\n').filter((l) => l.trim()).length;
}

/** Nmap labels for `targets`, as the labeler runs it, from the scanner namespace. */
async function label(
  plan: LabPlan,
  ips: string[],
): Promise<
  Map<
    string,
    {
      label: string | null;
      label_2: string | null;
      label_status: string;
      label_acc: number | null;
      nmap_tries: number | null;
    }
  >
> {
  const labels = await labelHosts(
    ips.map((ip) => ({ ip, openPort: 80, closedPort: 1 })),
    // As `collect --lab` runs it: each Nmap process from a label source address of its own.
    { exec: (command, args) => inNamespace(plan.scannerNamespace, command, [...args]), sources: plan.labelSources },
  );
  return labels;
}

function truthClasses(emulated: readonly EmulatedOs[]): Map<string, string> {
  const truth = new Map<string, string>();
  for (const record of labTruth({ emulated })) truth.set(record.ip, record.class);
  return truth;
}

describe.skipIf(needs('root', 'netns', 'dnsmasq', 'nmap', 'tcpdump', 'p0f'))('emulated OSes (end to end)', () => {
  let plan: LabPlan;
  let work: string;
  const defaults = (): EmulatedOs[] => plan.emulated.filter((e) => DEFAULT_EMULATED.some((d) => d.slug === e.slug));

  beforeAll(async () => {
    const shared = sharedLab();
    if (!shared) throw new Error('the e2e global setup did not bring a lab up');
    plan = shared;
    work = await mkdtemp(join(tmpdir(), 'osfp-emulator-test-'));
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('keeps the emulation namespace kernel silent: no RST, no ICMP, not even for a block nobody serves', async () => {
    const pcap = join(work, 'emu-out.pcap');
    const stop = await startCapture(plan.emulationNamespace, pcap, ['-Q', 'out', 'ip']);
    const unserved = emulatedHost(60, 5);
    const served0 = emulatedHost(0, 33);
    const [cmd, args] = inNamespace(plan.scannerNamespace, process.execPath, [
      '-e',
      `const net=require('node:net'),dgram=require('node:dgram');
       for (const h of ['${unserved}','${served0}']) for (const p of [80, 1, 8080]) { const s=net.connect(p,h); s.on('error',()=>{}); setTimeout(()=>s.destroy(),1500); }
       const u=dgram.createSocket('udp4'); u.send(Buffer.alloc(20), 40000, '${unserved}', ()=>u.close());`,
    ]);
    await execFileAsync(cmd, args);
    await execFileAsync(
      ...inNamespace(plan.scannerNamespace, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', unserved]),
    ).catch(() => undefined);
    await stop();
    // The responder answered the served host (so the capture works) ...
    expect(await packetCount(pcap, `src host ${served0}`)).toBeGreaterThan(0);
    // ... and nothing else left the namespace: no kernel RST or ICMP, for served or unserved blocks.
    const served = defaults()
      .map((e) => `src net ${e.cidr}`)
      .join(' or ');
    expect(await packetCount(pcap, `not (${served})`)).toBe(0);
  });

  it('is labelled as its class by Nmap on 64 hosts of every default OS (top-1 >= 95 %, top-2 >= 99 %)', async () => {
    const oses = defaults();
    expect(oses.map((o) => o.slug)).toEqual(DEFAULT_EMULATED.map((d) => d.slug));
    const truth = truthClasses(oses);
    const hosts = oses.flatMap((o) =>
      Array.from({ length: 64 }, (_, n) => ({ slug: o.slug, ip: emulatedHost(o.index, 100 + n * 11) })),
    );
    const labels = await label(
      plan,
      hosts.map((h) => h.ip),
    );
    const table: string[] = [];
    for (const os of oses) {
      const mine = hosts.filter((h) => h.slug === os.slug);
      const want = truth.get(mine[0]!.ip);
      const top1 = mine.filter((h) => labels.get(h.ip)?.label === want).length;
      const top2 = mine.filter((h) => [labels.get(h.ip)?.label, labels.get(h.ip)?.label_2].includes(want ?? '')).length;
      table.push(`${os.slug.padEnd(10)} ${String(want).padEnd(14)} top-1 ${top1}/64 top-2 ${top2}/64`);
      expect(top1 / 64, `${os.slug} top-1`).toBeGreaterThanOrEqual(0.95);
      expect(top2 / 64, `${os.slug} top-2`).toBeGreaterThanOrEqual(0.99);
    }
    console.log(`emulated OS labels:\n${table.join('\n')}`);
  }, 300_000);

  it("serves HTTP and HTTPS with SYN-ACKs that p0f reads as osfp's extractor does, carrying the fingerprint's values", async () => {
    const db = loadOsDb();
    const archive = join(work, 'emu-archive.pcap');
    const targets = defaults().flatMap((o) => [
      ...Array.from({ length: 4 }, (_, n) => ({ ip: emulatedHost(o.index, 300 + n), port: 80 })),
      // HTTPS: node:tls on the emulated TCP.
      { ip: emulatedHost(o.index, 310), port: 443, hostname: `www.${plan.domain}` },
    ]);
    const result = await probeInNamespace(plan.scannerNamespace, targets, {
      timeoutMs: 4_000,
      concurrency: 64,
      userAgent: 'osfp-test',
      archivePcap: archive,
    });
    const { stdout } = await execFileAsync('p0f', ['-r', archive], { maxBuffer: 16 * 1024 * 1024 });
    const p0f = new Map<string, string>();
    for (const block of stdout.split(/\n(?=\.-\[)/)) {
      const header = /^\.-\[ [\d.]+\/\d+ -> ([\d.]+)\/(\d+) \(syn\+ack\) \]-/.exec(block);
      const sig = /\| raw_sig\s+= (\S+)/.exec(block);
      if (header && sig) p0f.set(`${header[1]}:${header[2]}`, sig[1]!);
    }
    for (const os of defaults()) {
      const fp = requireFingerprint(db, os.fingerprint);
      // The prober's SYN carries timestamps: the answer is the one to Nmap's first SEQ probe (O1/W1, T1's TTL and DF).
      const o1 = fp.tests.get('OPS')?.get('O1') ?? '';
      const w1 = fp.tests.get('WIN')?.get('W1') ?? '';
      const t1 = fp.tests.get('T1');
      for (const [ip, port] of [
        ...Array.from({ length: 4 }, (_, n) => [emulatedHost(os.index, 300 + n), 80] as const),
        [emulatedHost(os.index, 310), 443] as const,
      ]) {
        const outcome = result.outcomes.find((o) => o.ip === ip && o.port === port);
        expect(outcome?.probe_status, `${os.slug} ${ip}:${port}`).toBe('success');
        expect(outcome?.http_server).toBe(`osfp-lab-emu-${os.slug}`);
        const s = outcome!.synack!;
        expect(s, `${os.slug} SYN-ACK`).not.toBeNull();
        expect(p0f.get(`${ip}:${port}`), `${os.slug} ${ip}:${port} p0f raw_sig`).toBe(s.p0f_sig);
        expect(
          matchesExpression(nmapOptionString(s.tcp_options), o1),
          `${os.slug} options ${nmapOptionString(s.tcp_options)} vs O1=${o1}`,
        ).toBe(true);
        expect(
          matchesExpression(s.tcp_window.toString(16).toUpperCase(), w1),
          `${os.slug} window ${s.tcp_window} vs W1=${w1}`,
        ).toBe(true);
        expect(
          matchesExpression(s.ip_ttl.toString(16).toUpperCase(), t1?.get('T') ?? ''),
          `${os.slug} TTL ${s.ip_ttl}`,
        ).toBe(true);
        expect(s.ip_df ? 'Y' : 'N', `${os.slug} DF`).toBe(t1?.get('DF'));
      }
    }
  });

  it('serves the prober at least half as fast as the kernel personalities, capturing >= 99.9 % of SYN-ACKs', async () => {
    const options = { timeoutMs: 5_000, concurrency: 256, userAgent: 'osfp-test' };
    const chunk = 900;
    const emulated = Array.from({ length: 3 * chunk }, (_, i) => ({
      ip: emulatedHost(i % 9, 400 + Math.floor(i / 9)),
      port: 80,
    }));
    const kernel = Array.from({ length: 3 * chunk }, (_, i) => ({
      ip: personalityHost(i % 4, 2_000 + Math.floor(i / 4)),
      port: 80,
    }));
    const rates = { emulated: [] as number[], kernel: [] as number[] };
    let completed = 0;
    let captured = 0;
    // Chunks in alternating order (K E, E K, K E), so a change in the shared machine's load hits both alike.
    for (let c = 0; c < 3; c++) {
      for (const side of c % 2 === 0 ? (['kernel', 'emulated'] as const) : (['emulated', 'kernel'] as const)) {
        const part = (side === 'emulated' ? emulated : kernel).slice(c * chunk, (c + 1) * chunk);
        const run = await probeInNamespace(plan.scannerNamespace, part, options);
        rates[side].push(part.length / (run.elapsedMs / 1000));
        if (side === 'emulated') {
          const done = run.outcomes.filter((o) => o.probe_status === 'success');
          completed += done.length;
          captured += done.filter((o) => o.synack !== null).length;
          expect(done.length, 'emulated exchanges that succeeded').toBeGreaterThan(part.length * 0.99);
        }
      }
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(
      `probes/s: emulated ${mean(rates.emulated).toFixed(0)} (${rates.emulated.map((r) => r.toFixed(0)).join(', ')}), kernel ${mean(rates.kernel).toFixed(0)} (${rates.kernel.map((r) => r.toFixed(0)).join(', ')}); SYN-ACKs captured ${captured}/${completed}`,
    );
    expect(mean(rates.emulated)).toBeGreaterThanOrEqual(0.5 * mean(rates.kernel));
    expect(captured / completed).toBeGreaterThanOrEqual(0.999);
  }, 300_000);

  it('completes every HTTP exchange and gets every label through 1 % loss and 50-250 ms of delay', async () => {
    const path = {
      delay: { kind: 'uniform' as const, minMs: 50, maxMs: 250 },
      jitter: { kind: 'uniform' as const, minMs: 0, maxMs: 2 },
      lossIn: 0.01,
      lossOut: 0.01,
    };
    const lossy = await labUp({
      prefix: plan.prefix,
      os: DEFAULT_EMULATED.map((d) => ({ fingerprint: d.fingerprint, slug: `lossy-${d.slug}`, path })),
    });
    const oses = lossy.emulated.filter((e) => e.slug.startsWith('lossy-'));
    expect(oses).toHaveLength(DEFAULT_EMULATED.length);
    const ips = oses.flatMap((o) => Array.from({ length: 8 }, (_, n) => emulatedHost(o.index, 10 + n)));
    const probed = await probeInNamespace(
      plan.scannerNamespace,
      ips.map((ip) => ({ ip, port: 80 })),
      { timeoutMs: 20_000, concurrency: 128, userAgent: 'osfp-test' },
    );
    const failed = probed.outcomes.filter((o) => o.probe_status !== 'success');
    expect(failed.map((o) => `${o.ip} ${o.probe_status}`)).toEqual([]);
    expect(probed.outcomes.every((o) => o.synack !== null && (o.rtt_ms ?? 0) >= 100)).toBe(true);
    const labels = await label(plan, ips);
    const truth = truthClasses(oses);
    const unlabelled = ips
      .filter((ip) => labels.get(ip)?.label_status !== 'ok')
      .map((ip) => `${ip} ${labels.get(ip)?.label_status} tries ${labels.get(ip)?.nmap_tries}`);
    expect(unlabelled).toEqual([]);
    const right = ips.filter((ip) => labels.get(ip)?.label === truth.get(ip)).length;
    console.log(
      `through 1 % loss and 50-250 ms delay: ${ips.length} exchanges completed, ${ips.length} labelled, ${right} with the true class`,
    );
  }, 300_000);

  it('emulates a seeded sample of 40 fingerprints across families and device types (top-1 >= 85 %)', async () => {
    const db = loadOsDb();
    const names = sampleFingerprintNames(db, 40, 11);
    const up = await labUp({
      prefix: plan.prefix,
      os: names.map((fingerprint, i) => ({ fingerprint, slug: `g${i}` })),
    });
    const oses = up.emulated.filter((e) => /^g\d+$/.test(e.slug));
    expect(oses).toHaveLength(40);
    const truth = truthClasses(oses);
    const hosts = oses.flatMap((o) =>
      Array.from({ length: 4 }, (_, n) => ({ os: o, ip: emulatedHost(o.index, 50 + n) })),
    );
    const labels = await label(
      plan,
      hosts.map((h) => h.ip),
    );
    const lines: string[] = [];
    let right = 0;
    for (const os of oses) {
      const mine = hosts.filter((h) => h.os === os);
      const got = mine.map((h) => labels.get(h.ip)?.label ?? labels.get(h.ip)?.label_status ?? '?');
      const want = truth.get(mine[0]!.ip);
      const hits = got.filter((g) => g === want).length;
      right += hits;
      if (hits < mine.length) lines.push(`  ${os.fingerprint} [${want}]: ${got.join(', ')}`);
    }
    const share = right / hosts.length;
    console.log(
      `generality: ${right}/${hosts.length} hosts (${(share * 100).toFixed(1)} %) labelled with their class; misses:\n${lines.join('\n')}`,
    );
    expect(share).toBeGreaterThanOrEqual(0.85);
  }, 600_000);

  it('reports a dead responder (pnpm lab status) and restarts only it (pnpm lab up)', async () => {
    const before = await labStatus({ prefix: plan.prefix });
    const victim = before.processes.find((p) => p.name === 'emu-linux4');
    expect(victim?.alive).toBe(true);
    process.kill(victim!.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const dead = await labStatus({ prefix: plan.prefix });
    expect(dead.up).toBe(false);
    expect(dead.processes.find((p) => p.name === 'emu-linux4')?.alive).toBe(false);
    // What a user sees: the command names the dead responder and exits 1; `lab up` repairs.
    const status = await runOsfp(['lab', 'status', '--prefix', plan.prefix]);
    expect(status.code).toBe(1);
    expect(status.output).toMatch(/partly up/);
    expect(status.output).toMatch(new RegExp(`emu-linux4 +pid ${victim!.pid} +NOT RUNNING`));
    const up = await runOsfp(['lab', 'up', '--prefix', plan.prefix]);
    expect(up.code, up.output).toBe(0);
    const after = await labStatus({ prefix: plan.prefix });
    expect(after.up).toBe(true);
    const others = (s: typeof before) =>
      s.processes
        .filter((p) => p.name !== 'emu-linux4')
        .map((p) => `${p.name}:${p.pid}`)
        .sort();
    expect(others(after)).toEqual(others(before));
    expect(after.processes.find((p) => p.name === 'emu-linux4')?.pid).not.toBe(victim!.pid);
  }, 300_000);
});
