/**
 * The path bridge offline: frames in, frames out, no pcap. What a kernel
 * personality's hosts get under a profile: their own delay, firewall, loss;
 * ARP and the namespace's own address pass at once; checksums the sending
 * stack left to its device come out complete.
 */
import { describe, expect, it } from 'vitest';
import { checksum, ipToInt, readIpv4, writeIcmpFrame, writeTcpFrame } from '../src/emulator/packets.ts';
import { hostConditions, type PathSpec } from '../src/emulator/path.ts';
import { completeChecksum, PathBridge, readDatagram } from '../src/path-bridge/path-bridge.ts';

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
    completeChecksum(frame, readDatagram(frame, frame.length)!);
    expect(frame.readUInt16BE(50)).toBe(correct);
    // The checksum over the segment with its pseudo-header now adds up.
    const pseudo = (ip.src >>> 16) + (ip.src & 0xffff) + (ip.dst >>> 16) + (ip.dst & 0xffff) + 6 + ip.l4Length;
    expect(checksum(frame, ip.l4, ip.l4 + ip.l4Length, pseudo)).toBe(0);
  });

  it('gives an IPv6 twin its IPv4 host path and completes its checksum; other IPv6 passes at once', async () => {
    /** The TCP segment of an IPv4 frame to `dst` re-sent over IPv6, its checksum left partial. */
    const ipv6Frame = (dstWords: number[], dst: number): Buffer => {
      const v4 = tcpFrame(dst, 80);
      const ip = readIpv4(v4, v4.length)!;
      const segment = Buffer.from(v4.subarray(ip.l4, ip.l4 + ip.l4Length));
      segment.writeUInt16BE(0xbeef, 16);
      const frame = Buffer.alloc(14 + 40 + segment.length);
      v4.copy(frame, 0, 0, 12);
      frame.writeUInt16BE(0x86dd, 12);
      frame.writeUInt32BE(0x6000_0000, 14);
      frame.writeUInt16BE(segment.length, 18);
      frame[20] = 6;
      frame[21] = 64;
      [0xfd00, 0x18, 0, 0, 0, 0, 0xc612, 0x000a].forEach((w, i) => frame.writeUInt16BE(w, 22 + 2 * i));
      dstWords.forEach((w, i) => frame.writeUInt16BE(w, 38 + 2 * i));
      segment.copy(frame, 54);
      return frame;
    };
    const host = BLOCK + 5;
    const twin = [0xfd00, 0x18, 0, 0, 0, 0, host >>> 16, host & 0xffff];
    const { bridge, toHosts } = bridgeWith({ delay: { kind: 'fixed', ms: 40 } });
    bridge.fromLan(ipv6Frame([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], host), 54 + 24);
    expect(toHosts.length).toBe(1); // not a lab twin: no path, at once
    bridge.fromLan(ipv6Frame(twin, host), 54 + 24);
    expect(toHosts.length).toBe(1); // held for the host's delay
    await until(() => toHosts.length === 2);
    expect(toHosts[1]!.at - toHosts[0]!.at).toBeGreaterThanOrEqual(35);
    for (const { frame } of toHosts) {
      const datagram = readDatagram(frame, frame.length)!;
      expect(checksum(frame, datagram.l4, datagram.l4 + datagram.l4Length, datagram.pseudo)).toBe(0);
    }
    expect(readDatagram(toHosts[1]!.frame, toHosts[1]!.frame.length)!.dst).toBe(host);
    bridge.close();
  });
});
