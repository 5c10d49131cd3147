/**
 * Real kernel SYN-ACKs, not crafted ones: connections to a server on
 * 127.0.0.1 (loopback only, per the network rule) are captured by tcpdump in
 * Ethernet (lo) and SLL2 (any) framing; p0f and osfp read the same files.
 */
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@osfp/test-support';
import { featuresFromCapture } from '@osfp/features';

async function capture(file: string, args: string[], port: number, connections: number): Promise<void> {
  const tcpdump = spawn('tcpdump', [...args, '--immediate-mode', '-U', '-w', file, `tcp port ${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let text = '';
      tcpdump.stderr.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes('listening on')) resolve();
      });
      tcpdump.once('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${text}`)));
    });
    const connect = async (): Promise<void> => {
      const socket = createConnection({ host: '127.0.0.1', port });
      await once(socket, 'connect');
      socket.destroy();
    };
    // "listening on" can come before packets flow (seen with -i any): connect
    // until the first packet reaches the file, then make the counted connections.
    const deadline = Date.now() + 5000;
    while ((statSync(file, { throwIfNoEntry: false })?.size ?? 0) <= 24) {
      if (Date.now() > deadline) throw new Error('tcpdump captured nothing within 5 s');
      await connect();
      await new Promise((r) => setTimeout(r, 50));
    }
    // Paced: back to back, tcpdump on a loaded machine has been seen to lose a burst of loopback packets.
    for (let i = 0; i < connections; i++) {
      await connect();
      await new Promise((r) => setTimeout(r, 20));
    }
    // A loaded machine delays tcpdump's writes: wait (bounded) until the file holds every SYN-ACK, not a fixed time.
    const settle = Date.now() + 5000;
    while ((await synAcksIn(file)) < connections && Date.now() < settle) await new Promise((r) => setTimeout(r, 100));
  } finally {
    const exited = once(tcpdump, 'exit');
    tcpdump.kill('SIGINT');
    await exited;
  }
}

async function synAcksIn(file: string): Promise<number> {
  let n = 0;
  try {
    for await (const _record of featuresFromCapture(file)) n++;
  } catch {
    // tcpdump is still writing: a cut-off last packet is not a problem yet
  }
  return n;
}

function p0fSigs(file: string): Map<number, string> {
  const log = `${file}.p0f.log`;
  execFileSync('p0f', ['-f', '/etc/p0f/p0f.fp', '-r', file, '-o', log], { stdio: 'ignore' });
  const sigs = new Map<number, string>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const m = / mod=syn\+ack\|cli=[\d.]+\/(\d+)\|.*\|raw_sig=(.*)$/.exec(line);
    if (m) sigs.set(Number(m[1]), m[2]!);
  }
  return sigs;
}

describe.skipIf(needs('root', 'tcpdump', 'p0f'))('SYN-ACKs of the local Linux stack on 127.0.0.1', () => {
  let dir = '';
  let port = 0;
  const server = createServer((s) => s.destroy());
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'osfp-lo-'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // tcpdump -i any drops some loopback packets here (it keeps only the "In"
  // copy and sometimes loses that too), so that run asks only that whatever it
  // captured agrees with p0f.
  for (const [name, args, atLeast] of [
    ['Ethernet (lo)', ['-i', 'lo'], 8],
    ['SLL2 (any)', ['-i', 'any', '-y', 'LINUX_SLL2'], 1],
  ] as const) {
    it(`${name}: same signatures as p0f, with the SYN's MSS`, async () => {
      const file = join(dir, `${name.replace(/\W+/g, '_')}.pcap`);
      await capture(file, [...args], port, 8);
      const ours = new Map<number, string>();
      // Counted per record, not per client port: once the server closes first, the kernel may reuse a client port.
      let synAcks = 0;
      for await (const r of featuresFromCapture(file)) {
        synAcks++;
        expect(r.src_port).toBe(port);
        expect(r.syn?.mss).toBe(65495); // loopback MTU 65536
        expect(r.features).toMatchObject({ ip_ttl: 64, ip_ittl: 64, ip_hops: 0, ip_df: true, tcp_mss: 65495 });
        ours.set(r.dst_port, r.features.p0f_sig);
      }
      expect(synAcks).toBeGreaterThanOrEqual(atLeast);
      expect(ours).toEqual(p0fSigs(file));
    }, 30_000);
  }
});
