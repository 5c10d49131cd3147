/**
 * The path bridge offline: frames in, frames out, no pcap. What a kernel
 * personality's hosts get under a profile: their own delay, firewall, loss;
 * ARP and the namespace's own address pass at once; checksums the sending
 * stack left to its device come out complete.
 */
import { describe, expect, it } from 'vitest';
import { checksum, ipToInt, readIpv4, writeIcmpFrame, writeTcpFrame } from '../src/emulator/packets.ts';
import { hostConditions, type PathSpec } from '../src/emulator/path.ts';
import { completeChecksum, PathBridge } from '../src/path-bridge/path-bridge.ts';

const MAC_A = Buffer.from('020000000001', 'hex');
const MAC_B = Buffer.from('020000000002', 'hex');
const BLOCK = ipToInt('198.19.0.0');
const SCANNER = ipToInt('198.18.0.10');

function tcpFrame(dst: number, dstPort: number, src = SCANNER, srcPort = 40000): Buffer {
  const out = Buffer.alloc(2048);
  const n = writeTcpFrame(
    out,
    { srcMac: MAC_A, dstMac: MAC_B, src, dst, ttl: 64, df: true, id: 1 },
    { srcPort, dstPort, seq: 1, ack: 0, flags: 0x02, window: 64240, options: [{ kind: 'mss', value: 1460 }] },
  );
  return out.subarray(0, n);
}

function icmpFrame(dst: number): Buffer {
  const out = Buffer.alloc(256);
  const n = writeIcmpFrame(
    out,
    { srcMac: MAC_A, dstMac: MAC_B, src: SCANNER, dst, ttl: 64, df: false, id: 2 },
    8,
    0,
    0x1234_0001,
    Buffer.alloc(16, 7),
  );
  return out.subarray(0, n);
}

function bridgeWith(spec: PathSpec) {
  const toHosts: { at: number; frame: Buffer }[] = [];
  const toLan: { at: number; frame: Buffer }[] = [];
  const started = performance.now();
  const bridge = new PathBridge({
    spec,
    blockBase: BLOCK,
    blockSize: 2 ** 14,
    toHosts: (f, n) => toHosts.push({ at: performance.now() - started, frame: Buffer.from(f.subarray(0, n)) }),
    toLan: (f, n) => toLan.push({ at: performance.now() - started, frame: Buffer.from(f.subarray(0, n)) }),
  });
  return { bridge, toHosts, toLan };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `done` holds (timers run late on a loaded machine: no test depends on how late). */
async function until(done: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(2);
  }
}

describe('path bridge', () => {
  it("holds each host's frames for its own base delay, each way; ARP and addresses outside the block pass at once", async () => {
    const spec: PathSpec = { rtt: { kind: 'uniform', minMs: 20, maxMs: 600 } };
    const { bridge, toHosts, toLan } = bridgeWith(spec);
    const hosts = [...Array(200).keys()].map((n) => BLOCK + 1 + n);
    const near = hosts.find((ip) => hostConditions(spec, ip).rttMs < 200)!;
    const far = hosts.find((ip) => hostConditions(spec, ip).rttMs > 400)!;
    bridge.fromLan(tcpFrame(near, 80), 74);
    bridge.fromLan(tcpFrame(far, 80), 74);
    const arp = Buffer.alloc(60);
    arp.writeUInt16BE(0x0806, 12);
    bridge.fromLan(arp, 60);
    bridge.fromLan(tcpFrame(ipToInt('198.18.0.101'), 22), 74);
    bridge.fromHosts(tcpFrame(SCANNER, 40000, near, 80), 74);
    expect(toHosts).toHaveLength(2);
    expect(bridge.stats).toMatchObject({ fromLan: 4, fromHosts: 1, passed: 2, delayed: 3, waiting: 3 });
    const oneWay = (ip: number) => hostConditions(spec, ip).rttMs / 2;
    const arrived = (ip: number) => toHosts.find((f) => readIpv4(f.frame, 74)?.dst === ip);
    await until(() => arrived(near) !== undefined && toLan.length === 1);
    // The far host's frame is still on its way when the near one's has arrived.
    expect(arrived(far)).toBeUndefined();
    expect(arrived(near)!.at).toBeGreaterThanOrEqual(oneWay(near) - 2);
    await until(() => arrived(far) !== undefined);
    expect(arrived(far)!.at).toBeGreaterThanOrEqual(oneWay(far) - 2);
    expect(bridge.stats.waiting).toBe(0);
    bridge.close();
  });

  it('a firewalled host gets only its open ports: other TCP ports, UDP and ICMP are dropped both ways', async () => {
    const { bridge, toHosts, toLan } = bridgeWith({ firewalled: true });
    const host = ipToInt('198.19.0.9');
    bridge.fromLan(tcpFrame(host, 80), 74);
    bridge.fromLan(tcpFrame(host, 443), 74);
    bridge.fromLan(tcpFrame(host, 1), 74);
    bridge.fromLan(icmpFrame(host), 58);
    bridge.fromHosts(tcpFrame(SCANNER, 40000, host, 80), 74);
    bridge.fromHosts(tcpFrame(SCANNER, 40000, host, 22), 74);
    await sleep(5);
    expect(toHosts.map((f) => f.frame.readUInt16BE(36))).toEqual([80, 443]);
    expect(toLan).toHaveLength(1);
    expect(bridge.stats.firewalled).toBe(3);
    bridge.close();
  });

  it('loses and duplicates frames at the rates asked', async () => {
    const { bridge, toHosts } = bridgeWith({ lossIn: 0.2, duplicate: 0.1 });
    for (let n = 0; n < 3000; n++) bridge.fromLan(tcpFrame(BLOCK + 1 + (n % 500), 80, SCANNER, 1024 + n), 74);
    await sleep(5);
    const { lost, duplicated } = bridge.stats;
    expect(lost / 3000).toBeGreaterThan(0.16);
    expect(lost / 3000).toBeLessThan(0.24);
    expect(duplicated / (3000 - lost)).toBeGreaterThan(0.07);
    expect(toHosts.length).toBe(3000 - lost + duplicated);
    bridge.close();
  });

  it('completes a TCP checksum the sending stack left to its device', () => {
    const frame = tcpFrame(ipToInt('198.19.0.3'), 80);
    const correct = frame.readUInt16BE(50);
    frame.writeUInt16BE(0xbeef, 50); // what a veth "offload" leaves: a partial sum
    const ip = readIpv4(frame, frame.length)!;
    completeChecksum(frame, ip);
    expect(frame.readUInt16BE(50)).toBe(correct);
    // The checksum over the segment with its pseudo-header now adds up.
    const pseudo = (ip.src >>> 16) + (ip.src & 0xffff) + (ip.dst >>> 16) + (ip.dst & 0xffff) + 6 + ip.l4Length;
    expect(checksum(frame, ip.l4, ip.l4 + ip.l4Length, pseudo)).toBe(0);
  });
});
