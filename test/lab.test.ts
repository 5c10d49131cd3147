/**
 * The first end-to-end test (issue 2, item 6): the lab is up; from the scanner
 * namespace an HTTP request reaches every personality, whose captured SYN-ACKs
 * differ as designed; every hostile host misbehaves as designed; the lab's DNS
 * answers; the root namespace has no way into the lab; and an up/down cycle of
 * a second lab leaves nothing behind.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addScanner,
  inNamespace,
  isLabNamespace,
  labDown,
  labName,
  labNameAddress,
  labPlan,
  labStatus,
  labUp,
  personalityHost,
  runningPlan,
  TARGET_HTTP_PORTS,
  type LabPlan,
} from '@osfp/lab';
import { needs } from '@osfp/test-support';
import { sharedLab } from './lab-support/shared-lab.ts';
import { probeFrom, runIn, startCapture } from './lab-support/lab-traffic.ts';
import type { ProbeRequest } from './lab-support/tcp-probe.main.ts';

const execFileAsync = promisify(execFile);
const testDir = dirname(fileURLToPath(import.meta.url));

interface SynAck {
  src: string;
  ttl: number;
  df: boolean;
  window: number;
  mss: number | null;
  wscale: number | null;
  sack: boolean;
  timestamps: boolean;
}

async function readSynAcks(file: string): Promise<SynAck[]> {
  const { stdout } = await execFileAsync('tshark', [
    '-r',
    file,
    '-Y',
    'tcp.flags.syn == 1 && tcp.flags.ack == 1',
    '-T',
    'fields',
    '-E',
    'separator=|',
    '-e',
    'ip.src',
    '-e',
    'ip.ttl',
    '-e',
    'ip.flags.df',
    '-e',
    'tcp.window_size_value',
    '-e',
    'tcp.options.mss_val',
    '-e',
    'tcp.options.wscale.shift',
    '-e',
    'tcp.options.sack_perm',
    '-e',
    'tcp.options.timestamp.tsval',
  ]);
  return stdout
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const [src = '', ttl, df, window, mss, wscale, sack, tsval] = line.split('|');
      return {
        src,
        ttl: Number(ttl),
        df: df === '1' || df === 'True',
        window: Number(window),
        mss: mss ? Number(mss) : null,
        wscale: wscale ? Number(wscale) : null,
        sack: Boolean(sack),
        timestamps: Boolean(tsval),
      };
    });
}

/** A live (not zombie) process with this pid exists. */
async function running(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

const skip = needs('root', 'netns', 'dnsmasq', 'tcpdump', 'tshark');

describe.skipIf(skip)('lab (end to end)', () => {
  let plan: LabPlan;
  let work: string;

  beforeAll(async () => {
    // Normally global-setup has brought the lab up already; up is idempotent either way.
    plan = sharedLab() ?? (await labUp({ prefix: process.env['OSFP_LAB_PREFIX'] ?? 'osfpt' }));
    work = await mkdtemp(join(tmpdir(), 'osfp-lab-test-'));
  });

  // The two labs of their own that tests below bring up; down again whatever happens, and
  // down before use too, in case an earlier run was killed and left one behind.
  const ownLabs = () => ({ coexisting: `${plan.prefix}c`.slice(0, 10), killedHalfway: `${plan.prefix}k`.slice(0, 10) });

  afterAll(async () => {
    if (plan) for (const prefix of Object.values(ownLabs())) await labDown({ prefix });
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('up is idempotent: a second up keeps the same processes', async () => {
    const before = await labStatus({ prefix: plan.prefix });
    expect(before.up).toBe(true);
    const started = Date.now();
    const again = await labUp({ prefix: plan.prefix });
    expect(Date.now() - started).toBeLessThan(5_000);
    // The same plan; other tests may have added extra emulated OSes after the defaults.
    expect({ ...again, emulated: again.emulated.slice(0, plan.emulated.length) }).toEqual(plan);
    expect(again).toEqual(await runningPlan({ prefix: plan.prefix }));
    const after = await labStatus({ prefix: plan.prefix });
    expect(after.up).toBe(true);
    expect(after.processes.map((p) => p.pid).sort()).toEqual(before.processes.map((p) => p.pid).sort());
    const names = after.processes.map((p) => p.name);
    expect(names.filter((n) => !n.startsWith('emu-')).sort()).toEqual(
      ['dns', 'server-hostile', ...plan.personalities.map((p) => `server-${p.name}`)].sort(),
    );
    // One responder process per default emulated OS, and any that extras added by other tests share.
    for (const os of plan.emulated) expect(names).toContain(`emu-${os.slug}`);
  });

  it('every personality answers HTTP (on 80 and the extra ports) and HTTPS, and its SYN-ACK carries its own TTL and options', async () => {
    const pcap = join(work, 'personalities.pcap');
    const stop = await startCapture(plan.scannerNamespace, pcap);
    // A host deep inside each block too: the whole block is the personality's.
    const deepHosts = plan.personalities.map((_p, index) => personalityHost(index, 12_345));
    const requests: ProbeRequest[] = plan.personalities.flatMap((p, index) => [
      { host: p.firstHost, port: 80 },
      { host: deepHosts[index] ?? p.firstHost, port: 443, tls: true },
      // The last extra port (pipeline-memory probes every host on all of them).
      { host: deepHosts[index] ?? p.firstHost, port: TARGET_HTTP_PORTS.at(-1) ?? 80 },
    ]);
    const results = await probeFrom(plan.scannerNamespace, requests);
    await stop();

    for (const [index, personality] of plan.personalities.entries()) {
      for (const result of results.slice(index * 3, index * 3 + 3)) {
        expect(result.error, `${personality.name} ${result.host}:${result.port}`).toBeNull();
        expect(result.head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
        expect(result.head).toContain(`Server: osfp-lab-${personality.name}\r\n`);
      }
    }

    const synAcks = await readSynAcks(pcap);
    for (const [index, personality] of plan.personalities.entries()) {
      for (const host of [personality.firstHost, deepHosts[index]]) {
        const seen = synAcks.filter((s) => s.src === host);
        expect(seen.length, `a SYN-ACK from ${personality.name} (${host})`).toBeGreaterThan(0);
        for (const synAck of seen) {
          const { expect: want } = personality;
          // Same LAN, no router in between: the TTL arrives undecremented.
          expect({ ...synAck, src: personality.name }).toEqual({
            src: personality.name,
            ttl: want.ittl,
            df: want.df ?? synAck.df,
            window: want.window ?? synAck.window,
            mss: want.mss,
            wscale: want.wscale,
            sack: want.sack,
            timestamps: want.timestamps,
          });
        }
      }
    }
    // The personalities really are different from one another.
    const signatures = new Set(plan.personalities.map((p) => JSON.stringify(p.expect)));
    expect(signatures.size).toBe(plan.personalities.length);
    expect(new Set(plan.personalities.map((p) => p.expect.ittl))).toEqual(new Set([64, 128, 255]));
  });

  it('every hostile host misbehaves as designed', async () => {
    const pcap = join(work, 'hostile.pcap');
    const stop = await startCapture(plan.scannerNamespace, pcap);
    const results = await probeFrom(
      plan.scannerNamespace,
      plan.hostile.map((h) => ({ host: h.ip, port: h.port, watchMs: 2_000, connectTimeoutMs: 3_000 })),
    );
    await stop();
    const byBehaviour = new Map(plan.hostile.map((h, i) => [h.behaviour, results[i]]));
    const synAckSources = new Set((await readSynAcks(pcap)).map((s) => s.src));

    const silent = byBehaviour.get('silent');
    expect(silent).toMatchObject({ connected: true, error: null, bytes: 0, peerClosed: false });

    const garbage = byBehaviour.get('garbage');
    expect(garbage).toMatchObject({ connected: true, error: null, peerClosed: true });
    expect(garbage?.bytes).toBeGreaterThan(0);
    expect(garbage?.head.startsWith('HTTP/')).toBe(false);

    const endless = byBehaviour.get('endless');
    expect(endless).toMatchObject({ connected: true, error: null, peerClosed: false });
    expect(endless?.head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(endless?.bytes).toBeGreaterThan(200_000);

    const closed = byBehaviour.get('closed');
    expect(closed).toMatchObject({ connected: false, error: 'ECONNREFUSED' });

    const dropped = byBehaviour.get('drop');
    expect(dropped).toMatchObject({ connected: false, error: 'connect-timeout' });

    for (const h of plan.hostile) {
      expect(synAckSources.has(h.ip), `SYN-ACK from ${h.behaviour} (${h.ip})`).toBe(
        h.behaviour !== 'closed' && h.behaviour !== 'drop',
      );
    }
  });

  it('the lab DNS answers the zone (several names per address) and nothing else', async () => {
    const names = [
      labName(plan.personalities[0]?.firstHost ?? '', 0),
      labName(plan.personalities[0]?.firstHost ?? '', 1),
      labName(personalityHost(3, 999), 7),
      labName(plan.hostile[0]?.ip ?? ''),
    ].filter((n): n is string => n !== null);
    expect(names).toHaveLength(4);
    const out = await runIn(plan.scannerNamespace, 'getent', ['ahostsv4', ...names]);
    for (const name of names) {
      expect(out).toContain(`${labNameAddress(name)} `);
    }
    // Outside the zone there is no answer, and no upstream to ask.
    await expect(runIn(plan.scannerNamespace, 'getent', ['ahostsv4', 'example.com'])).rejects.toThrow();
    await expect(
      runIn(plan.scannerNamespace, 'getent', ['ahostsv4', `nosuchalias-1.${plan.domain}`]),
    ).rejects.toThrow();
  });

  it('the lab DNS keeps answering when a port with a lower MAC joins the LAN', async () => {
    const name = labName(plan.personalities[0]?.firstHost ?? '', 0) ?? '';
    const hub = `${plan.prefix}-hub`;
    const bridgeMac = async () =>
      (JSON.parse(await runIn(hub, 'ip', ['-j', 'link', 'show', 'br0'])) as { address: string }[])[0]?.address;
    // The scanner has the bridge's MAC in its ARP cache...
    expect(await runIn(plan.scannerNamespace, 'getent', ['ahostsv4', name])).toContain(`${labNameAddress(name)} `);
    const before = await bridgeMac();
    // ...when a port joins whose MAC is lower than every other (as a new scanner's random one may be).
    await runIn(hub, 'ip', [
      'link',
      'add',
      'lan-lowmac',
      'address',
      '02:00:00:00:00:01',
      'type',
      'veth',
      'peer',
      'name',
      'lowmac-peer',
    ]);
    try {
      await runIn(hub, 'ip', ['link', 'set', 'lan-lowmac', 'master', 'br0', 'up']);
      expect(await bridgeMac()).toBe(before);
      expect(await runIn(plan.scannerNamespace, 'getent', ['ahostsv4', name])).toContain(`${labNameAddress(name)} `);
    } finally {
      await runIn(hub, 'ip', ['link', 'del', 'lan-lowmac']);
    }
  });

  it('the scanner routes only to the lab, and the root namespace has no way into it', async () => {
    const routes = JSON.parse(await runIn(plan.scannerNamespace, 'ip', ['-j', 'route', 'show'])) as { dst: string }[];
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) expect(route.dst, 'scanner route').toMatch(/^198\.1[89]\./);
    await expect(runIn(plan.scannerNamespace, 'ip', ['route', 'get', '192.0.2.1'])).rejects.toThrow(/unreachable/i);
    // IPv6 likewise: only the lab's ULA twins (fd00:18::/96), nothing else reachable.
    const routes6 = JSON.parse(await runIn(plan.scannerNamespace, 'ip', ['-6', '-j', 'route', 'show'])) as {
      dst: string;
    }[];
    expect(routes6.length).toBeGreaterThan(0);
    for (const route of routes6) expect(route.dst, 'scanner IPv6 route').toMatch(/^fd00:18::c61[23]:/);
    await expect(runIn(plan.scannerNamespace, 'ip', ['-6', 'route', 'get', '2001:db8::1'])).rejects.toThrow(
      /unreachable/i,
    );

    // No packets needed to prove it: no lab address, link or route exists in the root namespace.
    const { stdout: addrs } = await execFileAsync('ip', ['-j', '-4', 'addr', 'show']);
    for (const link of JSON.parse(addrs) as { ifname: string; addr_info: { local: string }[] }[]) {
      for (const a of link.addr_info) expect(a.local, `address on ${link.ifname}`).not.toMatch(/^198\.1[89]\./);
    }
    const { stdout: rootRoutes } = await execFileAsync('ip', ['-j', 'route', 'show', 'table', 'all']);
    for (const route of JSON.parse(rootRoutes) as { dst: string }[]) expect(route.dst).not.toMatch(/^198\.1[89]\./);
    const { stdout: addrs6 } = await execFileAsync('ip', ['-j', '-6', 'addr', 'show']);
    for (const link of JSON.parse(addrs6) as { ifname: string; addr_info: { local: string }[] }[]) {
      for (const a of link.addr_info) expect(a.local, `address on ${link.ifname}`).not.toMatch(/^fd00:18:/);
    }
    const { stdout: rootRoutes6 } = await execFileAsync('ip', ['-6', '-j', 'route', 'show', 'table', 'all']);
    for (const route of JSON.parse(rootRoutes6) as { dst: string }[]) expect(route.dst).not.toMatch(/^fd00:18:/);
    const { stdout: links } = await execFileAsync('ip', ['-j', 'link', 'show']);
    for (const link of JSON.parse(links) as { ifname: string }[]) {
      expect(link.ifname).not.toMatch(/^(lan-|br0$)/);
    }
  });

  it('an extra scanner namespace reaches the targets and the first scanner over the lab LAN', async () => {
    const extra = await addScanner(2, { prefix: plan.prefix });
    expect(extra).toEqual({ namespace: `${plan.prefix}-scan2`, address: '198.18.0.11' });
    expect(await addScanner(2, { prefix: plan.prefix })).toEqual(extra); // idempotent
    const [cmd, args] = inNamespace(plan.scannerNamespace, process.execPath, [
      '-e',
      `require('node:net').createServer((s) => s.end('hello from scan\\n')).listen(7001, '${plan.scannerAddress}', () => console.log('ready'))`,
    ]);
    const listener = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(listener.stdout, 'data');
      const [toTarget, toScanner] = await probeFrom(extra.namespace, [
        { host: plan.personalities[1]?.firstHost ?? '', port: 80 },
        { host: plan.scannerAddress, port: 7001 },
      ]);
      expect(toTarget?.head).toContain(`Server: osfp-lab-${plan.personalities[1]?.name}`);
      expect(toScanner?.head).toBe('hello from scan\n');
    } finally {
      listener.kill('SIGTERM');
    }
  });

  it('a second lab with its own prefix coexists, and its down leaves nothing behind', async () => {
    const prefix = ownLabs().coexisting;
    await labDown({ prefix });
    const other = await labUp({ prefix });
    expect(other).toEqual(labPlan({ prefix }));
    await addScanner(3, { prefix });
    const status = await labStatus({ prefix });
    expect(status.up).toBe(true);
    const pids = status.processes.map((p) => p.pid);
    expect(pids.length).toBeGreaterThan(0);
    // Both labs answer on the same addresses, each inside its own namespaces.
    const [fromOther] = await probeFrom(other.scannerNamespace, [
      { host: other.personalities[2]?.firstHost ?? '', port: 80 },
    ]);
    expect(fromOther?.head).toContain('HTTP/1.1 200 OK');

    // Something a crashed `up` could leave: a stray process in one of the lab's namespaces.
    const [cmd, args] = inNamespace(other.scannerNamespace, 'sleep', ['600']);
    const stray = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    stray.unref();

    await labDown({ prefix });

    const { stdout: namespaces } = await execFileAsync('ip', ['netns', 'list']);
    const left = namespaces
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => isLabNamespace(prefix, n));
    expect(left).toEqual([]);
    for (const pid of [...pids, stray.pid ?? -1]) expect(await running(pid), `pid ${pid} is gone`).toBe(false);
    expect(existsSync(`/run/osfp-lab/${prefix}`)).toBe(false);
    expect(existsSync(`/etc/netns/${prefix}-scan`)).toBe(false);
    expect(existsSync(`/etc/netns/${prefix}-scan3`)).toBe(false);
    expect((await labStatus({ prefix })).up).toBe(false);
    // The shared lab is untouched.
    expect((await labStatus({ prefix: plan.prefix })).up).toBe(true);
  });

  it('down cleans up after an up that was killed halfway', async () => {
    const prefix = ownLabs().killedHalfway;
    const pidDir = `/run/osfp-lab/${prefix}/pids`;
    await labDown({ prefix });
    const upScript = `import('@osfp/lab').then((lab) => lab.labUp({ prefix: '${prefix}' }))`;
    const upper = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', upScript], {
      cwd: testDir,
      stdio: 'ignore',
    });
    const exited = once(upper, 'exit');
    // Kill it as soon as it has started a process of its own: namespaces exist, servers are half started.
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(pidDir, 'dns.json')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(join(pidDir, 'dns.json')), 'the killed up got as far as starting DNS').toBe(true);
    upper.kill('SIGKILL');
    await exited;

    const records = await Promise.all(
      (await readdir(pidDir))
        .filter((f) => f.endsWith('.json'))
        .map(async (f) => JSON.parse(await readFile(join(pidDir, f), 'utf8')) as { pid: number }),
    );
    expect((await labStatus({ prefix })).up).toBe(false);

    await labDown({ prefix });

    const { stdout: namespaces } = await execFileAsync('ip', ['netns', 'list']);
    expect(
      namespaces
        .split('\n')
        .map((l) => l.split(' ')[0] ?? '')
        .filter((n) => isLabNamespace(prefix, n)),
    ).toEqual([]);
    for (const { pid } of records) expect(await running(pid), `pid ${pid} is gone`).toBe(false);
    expect(existsSync(`/run/osfp-lab/${prefix}`)).toBe(false);
    expect(existsSync(`/run/osfp-lab/${prefix}.lock`)).toBe(false);
    expect(existsSync(`/etc/netns/${prefix}-scan`)).toBe(false);
  });
});
