/**
 * Traffic inside the lab for e2e tests: commands run in a namespace, HTTP
 * probes from a scanner (tcp-probe.main.ts), and tcpdump capturing the SYNs
 * and SYN-ACKs a scanner sees.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inNamespace } from '@osfp/lab';
import type { ProbeRequest, ProbeResult } from './tcp-probe.main.ts';

const execFileAsync = promisify(execFile);
const testDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const probeScript = join(testDir, 'lab-support', 'tcp-probe.main.ts');

export async function runIn(namespace: string, command: string, args: string[]): Promise<string> {
  const [cmd, full] = inNamespace(namespace, command, args);
  const { stdout } = await execFileAsync(cmd, full, { cwd: testDir, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export async function probeFrom(namespace: string, requests: ProbeRequest[]): Promise<ProbeResult[]> {
  const out = await runIn(namespace, process.execPath, ['--import', 'tsx', probeScript, JSON.stringify(requests)]);
  return JSON.parse(out) as ProbeResult[];
}

/**
 * tcpdump in a namespace, capturing SYNs and SYN-ACKs to a pcap until stopped.
 * Immediate mode: libpcap otherwise hands packets over a buffer block at a
 * time (up to a second later), and a capture stopped sooner than that lost
 * the last handshakes (measured: 11 of 41, or none). A 32 MiB buffer: with
 * the default one, on the loaded shared machine, the kernel dropped 28 of 60
 * packets of 30 handshakes (tcpdump's own count); with this one, none of 200.
 */
export async function startCapture(
  namespace: string,
  file: string,
  filter: readonly string[] = ['tcp[tcpflags] & tcp-syn != 0'],
): Promise<() => Promise<void>> {
  const [cmd, args] = inNamespace(namespace, 'tcpdump', [
    '-i',
    'eth0',
    '-n',
    '-B',
    '32768',
    '--immediate-mode',
    '-U',
    '-w',
    file,
    ...filter,
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${stderr}`)), 10_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`tcpdump exited: ${stderr}`)));
  });
  return async () => {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
}
