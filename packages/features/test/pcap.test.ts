import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createPcapWriter, ipPacketOf, LINKTYPE, readCapture, type CaptureRecord } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'osfp-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = fileURLToPath(new URL('./fixtures/synacks.pcap', import.meta.url));

async function readAll(path: string): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for await (const p of readCapture(path)) out.push(p);
  return out;
}

async function readError(path: string): Promise<string> {
  try {
    await readAll(path);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${path} was read without error`);
}

const IP = Uint8Array.from([0x45, 0, 0, 40, ...new Array<number>(36).fill(0)]);

/** A pcapng block: type, body, padded, with both length fields. */
function block(type: number, body: Buffer, le: boolean): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const total = padded.length + 12;
  const head = Buffer.alloc(8);
  const tail = Buffer.alloc(4);
  if (le) {
    head.writeUInt32LE(type, 0);
    head.writeUInt32LE(total, 4);
    tail.writeUInt32LE(total, 0);
  } else {
    head.writeUInt32BE(type, 0);
    head.writeUInt32BE(total, 4);
    tail.writeUInt32BE(total, 0);
  }
  return Buffer.concat([head, padded, tail]);
}

function option(code: number, value: Buffer, le: boolean): Buffer {
  const h = Buffer.alloc(4);
  if (le) {
    h.writeUInt16LE(code, 0);
    h.writeUInt16LE(value.length, 2);
  } else {
    h.writeUInt16BE(code, 0);
    h.writeUInt16BE(value.length, 2);
  }
  return Buffer.concat([h, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

function section(
  le: boolean,
  tsresol: number | null,
  packets: Array<{ ts: bigint; data: Uint8Array; comments?: string[] }>,
): Buffer {
  const u16 = (n: number): Buffer => {
    const b = Buffer.alloc(2);
    if (le) b.writeUInt16LE(n);
    else b.writeUInt16BE(n);
    return b;
  };
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(n);
    else b.writeUInt32BE(n);
    return b;
  };
  const shb = block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), Buffer.alloc(8, 0xff)]), le);
  const idbOptions =
    tsresol === null
      ? Buffer.alloc(0)
      : Buffer.concat([option(9, Buffer.from([tsresol]), le), option(0, Buffer.alloc(0), le)]);
  const idb = block(1, Buffer.concat([u16(LINKTYPE.RAW), u16(0), u32(65535), idbOptions]), le);
  const epbs = packets.map((p) => {
    const data = Buffer.from(p.data);
    const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
    const opts = (p.comments ?? []).map((c) => option(1, Buffer.from(c, 'utf8'), le));
    return block(
      6,
      Buffer.concat([
        u32(0),
        u32(Number(p.ts >> 32n)),
        u32(Number(p.ts & 0xffffffffn)),
        u32(data.length),
        u32(data.length),
        padded,
        ...opts,
      ]),
      le,
    );
  });
  return Buffer.concat([shb, idb, ...epbs]);
}

describe('readCapture: pcapng', () => {
  it('reads both byte orders, timestamp resolutions, several sections and packet comments', async () => {
    const file = join(dir, 'multi.pcapng');
    writeFileSync(
      file,
      Buffer.concat([
        section(true, null, [{ ts: 1_700_000_000_123_456n, data: IP, comments: ['label=Linux 5.X', 'héllo'] }]),
        section(false, 9, [{ ts: 1_700_000_001_987_654_321n, data: IP }]),
        section(true, 0x80 | 20, [{ ts: (1_700_000_002n << 20n) | (1n << 19n), data: IP }]),
      ]),
    );
    const packets = await readAll(file);
    expect(packets.map((p) => [p.index, p.linkType, p.tsSeconds, p.tsNanos, p.comments])).toEqual([
      [0, 101, 1_700_000_000, 123_456_000, ['label=Linux 5.X', 'héllo']],
      [1, 101, 1_700_000_001, 987_654_321, []],
      [2, 101, 1_700_000_002, 500_000_000, []],
    ]);
    expect(packets[0]!.ts.toISOString()).toBe('2023-11-14T22:13:20.123Z');
    expect(packets.every((p) => p.ipPacket?.length === 40)).toBe(true);
  });

  it('names a truncated block and keeps the packets before it', async () => {
    const whole = section(true, null, [
      { ts: 1n, data: IP },
      { ts: 2n, data: IP },
    ]);
    const file = join(dir, 'cut.pcapng');
    writeFileSync(file, whole.subarray(0, whole.length - 10));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const p of readCapture(file)) seen.push(p.index);
      })(),
    ).rejects.toThrow(
      /cut\.pcapng: truncated: the pcapng block at byte \d+ is incomplete; the 1 packets before it were read/,
    );
    expect(seen).toEqual([0]);
  });
});

describe('readCapture: pcap', () => {
  it('reads the recorded fixture and a copy written by createPcapWriter identically', async () => {
    const original = await readAll(fixture);
    const copy = join(dir, 'copy.pcap');
    const writer = createPcapWriter(copy);
    for (const p of original) writer.write(p.tsSeconds * 1000 + p.tsNanos / 1e6, p.ipPacket!);
    expect(writer.count).toBe(original.length);
    await writer.close();
    const again = await readAll(copy);
    expect(again.map((p) => [p.tsSeconds, p.tsNanos, Buffer.from(p.frame).toString('hex')])).toEqual(
      original.map((p) => [p.tsSeconds, p.tsNanos, Buffer.from(p.frame).toString('hex')]),
    );
  });

  it('writes microsecond timestamps from a Date or fractional epoch milliseconds', async () => {
    const file = join(dir, 'ts.pcap');
    const writer = createPcapWriter(file);
    writer.write(new Date('2026-01-02T03:04:05.678Z'), IP);
    writer.write(1_767_323_045_678.901, IP);
    await writer.close();
    const [a, b] = await readAll(file);
    expect([a!.tsSeconds, a!.tsNanos]).toEqual([1_767_323_045, 678_000_000]);
    expect([b!.tsSeconds, b!.tsNanos]).toEqual([1_767_323_045, 678_901_000]);
    expect(() => writer.write(new Date(), IP)).toThrow(/closed/);
  });

  it('says what is wrong with missing, empty, foreign and truncated files', async () => {
    expect(await readError(join(dir, 'nope.pcap'))).toBe(`${join(dir, 'nope.pcap')}: no such file`);
    mkdirSync(join(dir, 'adir'));
    expect(await readError(join(dir, 'adir'))).toMatch(/adir: is a directory/);
    writeFileSync(join(dir, 'empty.pcap'), '');
    expect(await readError(join(dir, 'empty.pcap'))).toMatch(/empty\.pcap: empty file, not a pcap or pcapng capture/);
    writeFileSync(join(dir, 'text.pcap'), 'hello world, not a capture');
    expect(await readError(join(dir, 'text.pcap'))).toMatch(
      /text\.pcap: not a pcap or pcapng capture \(starts with bytes 68656c6c\)/,
    );
    const writer = createPcapWriter(join(dir, 'cut.pcap'));
    writer.write(0, IP);
    writer.write(1, IP);
    await writer.close();
    const { readFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'cut2.pcap'), readFileSync(join(dir, 'cut.pcap')).subarray(0, 24 + 56 + 20));
    expect(await readError(join(dir, 'cut2.pcap'))).toMatch(
      /cut2\.pcap: truncated: packet 2 \(at byte 80\) is incomplete; the 1 packets before it were read/,
    );
    writeFileSync(join(dir, 'hdr.pcap'), readFileSync(join(dir, 'cut.pcap')).subarray(0, 10));
    expect(await readError(join(dir, 'hdr.pcap'))).toMatch(/hdr\.pcap: truncated pcap file header/);
  });
});

describe('ipPacketOf', () => {
  const eth = (type: number[]): Uint8Array => Uint8Array.from([...new Array<number>(12).fill(2), ...type, ...IP]);
  it('finds IP behind Ethernet (with VLAN tags), SLL, SLL2, loopback and raw framing', () => {
    expect(ipPacketOf(LINKTYPE.ETHERNET, eth([0x08, 0x00]))?.length).toBe(40);
    expect(ipPacketOf(LINKTYPE.ETHERNET, eth([0x81, 0x00, 0, 7, 0x88, 0xa8, 0, 9, 0x08, 0x00]))?.length).toBe(40);
    expect(ipPacketOf(LINKTYPE.ETHERNET, eth([0x08, 0x06]))).toBeNull(); // ARP
    expect(
      ipPacketOf(LINKTYPE.LINUX_SLL, Uint8Array.from([...new Array<number>(14).fill(0), 0x08, 0x00, ...IP]))?.length,
    ).toBe(40);
    expect(
      ipPacketOf(LINKTYPE.LINUX_SLL2, Uint8Array.from([0x08, 0x00, ...new Array<number>(18).fill(0), ...IP]))?.length,
    ).toBe(40);
    expect(ipPacketOf(LINKTYPE.NULL, Uint8Array.from([2, 0, 0, 0, ...IP]))?.length).toBe(40);
    expect(ipPacketOf(LINKTYPE.RAW, IP)).toBe(IP);
    expect(ipPacketOf(LINKTYPE.RAW, Uint8Array.from([0x10]))).toBeNull();
    expect(ipPacketOf(147, IP)).toBeNull();
    expect(ipPacketOf(LINKTYPE.ETHERNET, Uint8Array.from([1, 2, 3]))).toBeNull();
  });
});
