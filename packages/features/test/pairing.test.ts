/**
 * Which SYN a SYN-ACK in a capture file answers (ack = SYN's sequence + 1,
 * within SYN_ANSWER_WINDOW_MS), and the header reader both capture paths
 * share, on packets built byte by byte.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createPcapWriter,
  featuresFromCapture,
  newStats,
  readSegmentHeader,
  SYN_ANSWER_WINDOW_MS,
  type CaptureFeatureRecord,
} from '../src/index.ts';
import { ipv6Text, locateTcp } from '../src/packet-header.ts';

const OPTS_MSS = (mss: number) => [2, 4, mss >> 8, mss & 255];

/** An IPv4 TCP segment from 198.18.0.2:40000 (client) or to it (server). */
function segment(
  from: 'client' | 'server',
  flags: number,
  seq: number,
  ack: number,
  options: number[] = [],
): Uint8Array {
  const total = 40 + options.length;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  b[0] = 0x45;
  v.setUint16(2, total);
  v.setUint16(6, 0x4000);
  b[8] = 64;
  b[9] = 6;
  const client = [198, 18, 0, 2];
  const server = [198, 18, 1, 1];
  b.set(from === 'client' ? client : server, 12);
  b.set(from === 'client' ? server : client, 16);
  v.setUint16(20, from === 'client' ? 40000 : 80);
  v.setUint16(22, from === 'client' ? 80 : 40000);
  v.setUint32(24, seq);
  v.setUint32(28, ack);
  b[32] = ((20 + options.length) / 4) << 4;
  b[33] = flags;
  v.setUint16(34, 1300 * 10);
  b.set(options, 40);
  return b;
}

const dir = mkdtempSync(join(tmpdir(), 'osfp-pairing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function recordsOf(name: string, packets: [number, Uint8Array][]) {
  const path = join(dir, name);
  const writer = createPcapWriter(path);
  for (const [ms, packet] of packets) writer.write(1_700_000_000_000 + ms, packet);
  await writer.close();
  const stats = newStats();
  const records: CaptureFeatureRecord[] = [];
  for await (const r of featuresFromCapture(path, stats)) records.push(r);
  return { records, stats };
}

describe('pairing a SYN-ACK with its SYN in a capture file', () => {
  it('pairs a SYN-ACK that acknowledges the SYN, within the window', async () => {
    const { records, stats } = await recordsOf('ok.pcap', [
      [0, segment('client', 0x02, 1000, 0, OPTS_MSS(1300))],
      [5, segment('server', 0x12, 7, 1001, OPTS_MSS(1460))],
    ]);
    expect(records[0]!.syn).toEqual({ mss: 1300, olayout: 'mss' });
    expect(records[0]!.features.tcp_wsize).toBe('mss*10'); // the SYN's MSS
    expect(stats.withSyn).toBe(1);
  });

  it('does not give a SYN-ACK the options of a SYN it does not acknowledge', async () => {
    const { records, stats } = await recordsOf('foreign.pcap', [
      [0, segment('client', 0x02, 1000, 0, OPTS_MSS(1300))],
      [5, segment('server', 0x12, 7, 99, OPTS_MSS(1460))],
    ]);
    expect(records[0]!.syn).toBeNull();
    expect(records[0]!.features.tcp_wsize).toBe('13000');
    expect(stats.withoutSyn.get('SYN not answered by it')).toBe(1);
  });

  it('does not pair a SYN-ACK 57 minutes after the SYN, even on the same ports with the right ack', async () => {
    const { records } = await recordsOf('late.pcap', [
      [0, segment('client', 0x02, 1000, 0, OPTS_MSS(1300))],
      [57 * 60_000, segment('server', 0x12, 7, 1001, OPTS_MSS(1460))],
    ]);
    expect(records[0]!.syn).toBeNull();
    expect(SYN_ANSWER_WINDOW_MS).toBe(30_000);
  });

  it('keeps the first SYN of a retransmission and takes a new sequence number as a new connection', async () => {
    const { records } = await recordsOf('reuse.pcap', [
      [0, segment('client', 0x02, 1000, 0, OPTS_MSS(1300))],
      [1000, segment('client', 0x02, 1000, 0, OPTS_MSS(1300))], // retransmitted
      [1100, segment('server', 0x12, 7, 1001, OPTS_MSS(1460))],
      [9000, segment('client', 0x02, 5000, 0, OPTS_MSS(1200))], // port reuse: a new connection
      [9005, segment('server', 0x12, 7, 1001, OPTS_MSS(1460))], // a late copy for the old one
      [9010, segment('server', 0x12, 8, 5001, OPTS_MSS(1460))],
    ]);
    expect(records.map((r) => r.syn?.mss ?? null)).toEqual([1300, null, 1200]);
  });

  it('counts what it skipped and why', async () => {
    const fragment = segment('server', 0x12, 7, 1001);
    new DataView(fragment.buffer).setUint16(6, 0x2000 | 3); // MF, offset 3: a non-first fragment
    const udp = segment('server', 0x12, 7, 1001);
    udp[9] = 17;
    const { stats } = await recordsOf('skipped.pcap', [
      [0, fragment],
      [1, udp],
      [2, segment('client', 0x10, 1, 1)], // a plain ACK: ordinary traffic
    ]);
    expect(Object.fromEntries(stats.skipped)).toEqual({ 'non-first IP fragments': 1, 'not TCP': 1 });
    expect(stats.synAcks).toBe(0);
  });
});

describe('the packet header reader', () => {
  const v6 = (next: number, ext: number[] = []): Uint8Array => {
    const b = new Uint8Array(40 + ext.length + 20);
    b[0] = 0x60;
    new DataView(b.buffer).setUint16(4, ext.length + 20);
    b[6] = next;
    b[7] = 64;
    b.set([0xfd, 0, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 8);
    b.set([0xfd, 0, 0, 0x18, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 24);
    b.set(ext, 40);
    const t = 40 + ext.length;
    b.set([0, 80, 0x9c, 0x40, 0, 0, 0, 7, 0, 0, 3, 0xe9, 0x50, 0x12], t);
    return b;
  };

  it('reads IPv6 with and without extension headers', () => {
    expect(readSegmentHeader(v6(6))).toEqual({
      version: 6,
      src: 'fd00:18::2',
      dst: 'fd00:18:1::1',
      srcPort: 80,
      dstPort: 40000,
      flags: 0x12,
      seq: 7,
      ack: 1001,
      ipBytes: 60,
    });
    // hop-by-hop (8 bytes) then destination options (16 bytes), then TCP
    const chain = [60, 0, 1, 4, 0, 0, 0, 0, 6, 1, 1, 12, ...new Array<number>(12).fill(0)];
    expect(locateTcp(v6(0, chain))).toEqual({ ok: true, offset: 64, version: 6 });
    expect(readSegmentHeader(v6(0, chain))?.dstPort).toBe(40000);
    // a non-first fragment, and UDP
    expect(locateTcp(v6(44, [6, 0, 0, 0x18, 0, 0, 0, 1]))).toEqual({ ok: false, reason: 'non-first-fragment' });
    expect(locateTcp(v6(44, [6, 0, 0, 0, 0, 0, 0, 1]))).toMatchObject({ ok: true, offset: 48 });
    expect(locateTcp(v6(17))).toEqual({ ok: false, reason: 'not-tcp' });
  });

  it('prints IPv6 addresses as RFC 5952 says (the text ipaddr.js prints)', () => {
    const text = (groups: number[]) => {
      const b = new Uint8Array(16);
      groups.forEach((g, i) => new DataView(b.buffer).setUint16(2 * i, g));
      return ipv6Text(b, 0);
    };
    expect(text([0xfd00, 0x18, 0, 0, 0, 0, 0, 2])).toBe('fd00:18::2');
    expect(text([0, 0, 0, 0, 0, 0, 0, 1])).toBe('::1');
    expect(text([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0])).toBe('2001:db8::');
    expect(text([1, 0, 0, 1, 0, 0, 0, 1])).toBe('1:0:0:1::1'); // the longer run
    expect(text([1, 0, 0, 1, 0, 0, 1, 1])).toBe('1::1:0:0:1:1'); // equal runs: the first
    expect(text([1, 0, 1, 1, 1, 1, 1, 1])).toBe('1:0:1:1:1:1:1:1'); // one zero group is not shortened
  });
});
