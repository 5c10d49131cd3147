/**
 * Reads pcap and pcapng files: one record per captured packet, with its time,
 * link type, the IP packet inside (when there is one) and its pcapng comments.
 *
 * Hand-written rather than taken from npm: the only maintained-looking npm
 * file reader, pcap-parser 0.2.1, reads classic pcap only (no pcapng, so no
 * packet comments, which import-pcap needs), and `pcap` needs libpcap for
 * what is a small, stable file format. This code feeds the same extractor as
 * live capture, so it must be exact about truncation and timestamps.
 */
import { ByteReader } from './byte-reader.ts';
import { CaptureError } from './capture-error.ts';
import { ipPacketOf } from './link-layer.ts';

export interface CaptureRecord {
  /** 0-based position of the packet in the file. */
  index: number;
  ts: Date;
  /** Seconds and nanoseconds since the epoch: the file's full time precision. */
  tsSeconds: number;
  tsNanos: number;
  linkType: number;
  /** The whole captured frame, link header included. */
  frame: Uint8Array;
  /** Length of the packet on the wire (frame may be shorter when the snap length cut it). */
  originalLength: number;
  /** The IP packet inside the frame, or null when the frame is not IP. */
  ipPacket: Uint8Array | null;
  /** pcapng opt_comment values of this packet (always empty for pcap). */
  comments: string[];
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const MAX_RECORD = 256 * 1024 * 1024; // a larger record is corruption, not a packet

/** Streams the packets of a pcap or pcapng file. Throws CaptureError naming the file on any problem. */
export async function* readCapture(path: string): AsyncGenerator<CaptureRecord> {
  let reader: ByteReader;
  try {
    reader = await ByteReader.open(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, not a capture file'
          : (error as Error).message;
    throw new CaptureError(path, why);
  }
  try {
    const head = await reader.take(4);
    if (head === null || head.length < 4) {
      throw new CaptureError(
        path,
        head === null ? 'empty file, not a pcap or pcapng capture' : 'too short to be a pcap or pcapng capture',
      );
    }
    const le = head.readUInt32LE(0);
    const be = head.readUInt32BE(0);
    if (be === PCAPNG_SHB) {
      yield* readPcapng(path, reader);
    } else if ([PCAP_MAGIC_US, PCAP_MAGIC_NS].includes(le) || [PCAP_MAGIC_US, PCAP_MAGIC_NS].includes(be)) {
      const littleEndian = le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS;
      const nanos = (littleEndian ? le : be) === PCAP_MAGIC_NS;
      yield* readPcap(path, reader, littleEndian, nanos);
    } else {
      throw new CaptureError(
        path,
        `not a pcap or pcapng capture (starts with bytes ${head.toString('hex')}); convert it with editcap or tshark -F pcapng`,
      );
    }
  } catch (error) {
    if (error instanceof CaptureError) throw error;
    throw new CaptureError(path, `read failed: ${(error as Error).message}`);
  } finally {
    await reader.close();
  }
}

function packet(
  index: number,
  seconds: number,
  nanos: number,
  linkType: number,
  data: Buffer,
  originalLength: number,
  comments: string[],
): CaptureRecord {
  const frame = new Uint8Array(data); // a copy: the reader's buffer is reused
  return {
    index,
    ts: new Date(seconds * 1000 + Math.floor(nanos / 1e6)),
    tsSeconds: seconds,
    tsNanos: nanos,
    linkType,
    frame,
    originalLength,
    ipPacket: ipPacketOf(linkType, frame),
    comments,
  };
}

async function* readPcap(path: string, reader: ByteReader, le: boolean, nanos: boolean): AsyncGenerator<CaptureRecord> {
  const header = await reader.take(20);
  if (header === null || header.length < 20)
    throw new CaptureError(path, 'truncated pcap file header (24 bytes expected)');
  const u32 = (b: Buffer, at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const major = le ? header.readUInt16LE(0) : header.readUInt16BE(0);
  if (major !== 2) throw new CaptureError(path, `unsupported pcap version ${major} (expected 2)`);
  // The top bits of the link type field carry FCS information, not the link type.
  const linkType = u32(header, 16) & 0x0fffffff;
  for (let index = 0; ; index++) {
    const at = reader.offset;
    const rec = reader.tryTake(16) ?? (await reader.take(16));
    if (rec === null) return;
    if (rec.length < 16) throw truncated(path, index, at);
    const caplen = u32(rec, 8);
    if (caplen > MAX_RECORD)
      throw new CaptureError(path, `corrupt record ${index + 1} at byte ${at}: captured length ${caplen}`);
    const data = reader.tryTake(caplen) ?? (await reader.take(caplen));
    if (caplen > 0 && (data === null || data.length < caplen)) throw truncated(path, index, at);
    const fraction = u32(rec, 4);
    yield packet(
      index,
      u32(rec, 0),
      nanos ? fraction : fraction * 1000,
      linkType,
      data ?? Buffer.alloc(0),
      u32(rec, 12),
      [],
    );
  }
}

function truncated(path: string, index: number, at: number): CaptureError {
  return new CaptureError(
    path,
    `truncated: packet ${index + 1} (at byte ${at}) is incomplete; the ${index} packets before it were read`,
  );
}

interface Interface {
  linkType: number;
  snapLen: number;
  /** Timestamp units per second, and an offset in seconds (if_tsresol, if_tsoffset). */
  unitsPerSecond: bigint;
  offsetSeconds: bigint;
}

interface PcapngOption {
  code: number;
  value: Buffer;
}

async function* readPcapng(path: string, reader: ByteReader): AsyncGenerator<CaptureRecord> {
  let le = true;
  let interfaces: Interface[] = [];
  let index = 0;
  let first = true;
  for (;;) {
    const at = reader.offset - (first ? 4 : 0);
    // The first block's type was consumed by the magic check.
    const typeBytes = first ? Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]) : (reader.tryTake(4) ?? (await reader.take(4)));
    first = false;
    if (typeBytes === null) return;
    if (typeBytes.length < 4) throw truncatedBlock(path, index, at);
    const lenBytes = reader.tryTake(4) ?? (await reader.take(4));
    if (lenBytes === null || lenBytes.length < 4) throw truncatedBlock(path, index, at);

    const isShb = typeBytes.readUInt32BE(0) === PCAPNG_SHB;
    if (isShb) {
      // A section header sets the byte order of everything up to the next one.
      const bom = await reader.take(4);
      if (bom === null || bom.length < 4) throw truncatedBlock(path, index, at);
      if (bom.readUInt32LE(0) === PCAPNG_BYTE_ORDER_MAGIC) le = true;
      else if (bom.readUInt32BE(0) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
      else throw new CaptureError(path, `corrupt pcapng section header at byte ${at} (bad byte-order magic)`);
      interfaces = [];
    }
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const type = u32(typeBytes, 0);
    const totalLength = u32(lenBytes, 0);
    if (totalLength < 12 || totalLength % 4 !== 0 || totalLength > MAX_RECORD) {
      throw new CaptureError(path, `corrupt pcapng block at byte ${at}: length ${totalLength}`);
    }
    const bodyLength = totalLength - 12 - (isShb ? 4 : 0);
    const body = reader.tryTake(bodyLength) ?? (await reader.take(bodyLength));
    if (bodyLength > 0 && (body === null || body.length < bodyLength)) throw truncatedBlock(path, index, at);
    const trailer = reader.tryTake(4) ?? (await reader.take(4));
    if (trailer === null || trailer.length < 4) throw truncatedBlock(path, index, at);
    if (u32(trailer, 0) !== totalLength)
      throw new CaptureError(path, `corrupt pcapng block at byte ${at}: trailing length differs`);
    const b = body ?? Buffer.alloc(0);

    const options = (from: number): PcapngOption[] => parseOptions(b, from, le);
    switch (type) {
      case 0x00000001: {
        // Interface Description Block
        if (b.length < 8) throw new CaptureError(path, `corrupt pcapng interface block at byte ${at}`);
        const iface: Interface = {
          linkType: u16(b, 0),
          snapLen: u32(b, 4),
          unitsPerSecond: 1_000_000n,
          offsetSeconds: 0n,
        };
        for (const o of options(8)) {
          if (o.code === 9 && o.value.length >= 1) {
            const r = o.value[0]!;
            iface.unitsPerSecond = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
          } else if (o.code === 14 && o.value.length >= 8) {
            iface.offsetSeconds = le ? o.value.readBigInt64LE(0) : o.value.readBigInt64BE(0);
          }
        }
        interfaces.push(iface);
        break;
      }
      case 0x00000006: // Enhanced Packet Block
      case 0x00000002: {
        // (obsolete) Packet Block: 16-bit interface id and drop count
        const enhanced = type === 6;
        if (b.length < 20) throw new CaptureError(path, `corrupt pcapng packet block at byte ${at}`);
        const ifaceId = enhanced ? u32(b, 0) : u16(b, 0);
        const iface = interfaces[ifaceId];
        if (!iface)
          throw new CaptureError(
            path,
            `pcapng packet at byte ${at} names interface ${ifaceId}, which was never described`,
          );
        const ts = (BigInt(u32(b, 4)) << 32n) | BigInt(u32(b, 8));
        const caplen = u32(b, 12);
        if (20 + caplen > b.length)
          throw new CaptureError(path, `corrupt pcapng packet block at byte ${at}: captured length ${caplen}`);
        const data = b.subarray(20, 20 + caplen);
        const comments = options(20 + pad4(caplen))
          .filter((o) => o.code === 1)
          .map((o) => o.value.toString('utf8'));
        const { seconds, nanos } = splitTime(ts, iface);
        yield packet(index++, seconds, nanos, iface.linkType, data, u32(b, 16), comments);
        break;
      }
      case 0x00000003: {
        // Simple Packet Block: interface 0, no time
        const iface = interfaces[0];
        if (!iface) throw new CaptureError(path, `pcapng simple packet at byte ${at} comes before any interface block`);
        if (b.length < 4) throw new CaptureError(path, `corrupt pcapng simple packet block at byte ${at}`);
        const originalLength = u32(b, 0);
        const caplen = Math.min(originalLength, iface.snapLen || originalLength, b.length - 4);
        yield packet(index++, 0, 0, iface.linkType, b.subarray(4, 4 + caplen), originalLength, []);
        break;
      }
      default:
      // Section headers (handled above), statistics, name resolution, custom blocks: nothing to read.
    }
  }
}

function truncatedBlock(path: string, index: number, at: number): CaptureError {
  return new CaptureError(
    path,
    `truncated: the pcapng block at byte ${at} is incomplete; the ${index} packets before it were read`,
  );
}

const pad4 = (n: number): number => (n + 3) & ~3;

function parseOptions(b: Buffer, from: number, le: boolean): PcapngOption[] {
  const out: PcapngOption[] = [];
  let at = from;
  while (at + 4 <= b.length) {
    const code = le ? b.readUInt16LE(at) : b.readUInt16BE(at);
    const length = le ? b.readUInt16LE(at + 2) : b.readUInt16BE(at + 2);
    if (code === 0) break; // opt_endofopt
    if (at + 4 + length > b.length) break; // malformed options never cost us the packet
    out.push({ code, value: b.subarray(at + 4, at + 4 + length) });
    at += 4 + pad4(length);
  }
  return out;
}

function splitTime(units: bigint, iface: Interface): { seconds: number; nanos: number } {
  const seconds = units / iface.unitsPerSecond + iface.offsetSeconds;
  const remainder = units % iface.unitsPerSecond;
  const nanos = (remainder * 1_000_000_000n) / iface.unitsPerSecond;
  return { seconds: Number(seconds), nanos: Number(nanos) };
}
