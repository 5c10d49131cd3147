/**
 * Real Nmap, but only against 127.0.0.0/8 (the network rule): OS detection
 * of this machine's loopback stack, cancellation of a real Nmap, preflight.
 * The lab-wide live test (every personality) is test/labeler.test.ts.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@osfp/test-support';
import { labelHosts, nmapPreflight } from '../src/index.ts';
import type { BatchReport } from '../src/index.ts';
import { isAlive } from './fake-nmap.ts';

async function listen(host: string): Promise<Server> {
  const server = createServer((_, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return server;
}

async function closedPort(): Promise<number> {
  const probe = await listen('127.0.0.1');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe.skipIf(needs('root', 'nmap'))('real Nmap on loopback', () => {
  let server: Server;
  let openPort: number;
  beforeAll(async () => {
    server = await listen('127.0.0.1');
    openPort = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('preflight names Nmap and the nmap-os-db it uses', async () => {
    const provenance = await nmapPreflight();
    expect(provenance.nmapVersion).toMatch(/^\d+\.\d+/);
    expect(provenance.osDbSha256).toBe(createHash('sha256').update(readFileSync(provenance.osDbPath)).digest('hex'));
  });

  it('preflight refuses a missing Nmap with what to do', async () => {
    await expect(nmapPreflight('/nonexistent/nmap')).rejects.toThrow(
      /not found at \/nonexistent\/nmap.*apt-get install nmap/,
    );
    await expect(nmapPreflight('no-such-nmap-binary')).rejects.toThrow(/not on PATH/);
  });

  it('preflight refuses a process without root or CAP_NET_RAW', async () => {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const script = `import('${new URL('../src/index.ts', import.meta.url).pathname}').then((m) => m.nmapPreflight()).then(() => console.log('PASSED'), (e) => console.log(e.message))`;
    const { stdout } = await promisify(execFile)(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        '--inh-caps=-all',
        process.execPath,
        '--import',
        tsx,
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: '/', env: { PATH: process.env['PATH'] ?? '', HOME: '/' } },
    );
    expect(stdout).toMatch(/sends raw packets: run as root, or give this process CAP_NET_RAW/);
  }, 60_000);

  it('labels this machine (Linux) through its loopback stack', async () => {
    const reports: BatchReport[] = [];
    const labels = await labelHosts([{ ip: '127.0.0.1', openPort, closedPort: await closedPort() }], {
      onBatch: (r) => reports.push(r),
    });
    const fields = labels.get('127.0.0.1');
    expect(reports[0]).toMatchObject({ exitCode: 0, error: null });
    expect(fields).toMatchObject({ label_status: 'ok', os_family: 'Linux', os_vendor: 'Linux' });
    expect(fields?.label).toMatch(/^Linux /);
    expect(fields?.label_acc).toBeGreaterThan(80);
  });

  it('cancelling kills the real Nmap: no orphan left', async () => {
    const controller = new AbortController();
    const reports: BatchReport[] = [];
    // Many addresses and a slow timing template: Nmap is still running when the signal comes.
    const targets = Array.from({ length: 40 }, (_, i) => ({ ip: `127.0.1.${i + 1}`, openPort }));
    const run = labelHosts(targets, {
      processes: 2,
      batchSize: 20,
      signal: controller.signal,
      tuning: { timing: 2 },
      onBatch: (r) => reports.push(r),
    });
    setTimeout(() => controller.abort(new Error('stop')), 1500);
    await expect(run).rejects.toThrow('stop');
    expect(reports.map((r) => r.stoppedBy)).toEqual(['abort', 'abort']);
    const pids = reports.map((r) => r.pid ?? 0);
    expect(pids.every((pid) => pid > 0)).toBe(true);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
