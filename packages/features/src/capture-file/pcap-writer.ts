/**
 * Writes packets to a classic pcap file (microsecond timestamps), so every
 * captured SYN-ACK and its SYN can be archived and re-read later by
 * `osfp features`, p0f, tcpdump or Wireshark.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { LINKTYPE } from './link-layer.ts';

export interface PcapWriter {
  /** Appends one packet. `ts` is a Date or epoch milliseconds (fractions keep microseconds). */
  write(ts: Date | number, packet: Uint8Array): void;
  /** Packets written so far. */
  readonly count: number;
  /** Flushes and closes the file; resolves once everything is on disk. */
  close(): Promise<void>;
}

const SNAPLEN = 262144;

export function createPcapWriter(path: string, linkType: number = LINKTYPE.RAW): PcapWriter {
  const stream: WriteStream = createWriteStream(path, { flags: 'w' });
  let failure: Error | null = null;
  stream.on('error', (error) => {
    failure = error;
  });
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeInt32LE(0, 8);
  header.writeUInt32LE(0, 12);
  header.writeUInt32LE(SNAPLEN, 16);
  header.writeUInt32LE(linkType, 20);
  stream.write(header);
  let count = 0;
  let closed = false;

  return {
    write(ts, packet) {
      if (closed) throw new Error(`pcap writer for ${path} is closed`);
      if (failure) throw new Error(`cannot write ${path}: ${failure.message}`);
      const ms = typeof ts === 'number' ? ts : ts.getTime();
      const micros = Math.round(ms * 1000);
      const seconds = Math.floor(micros / 1_000_000);
      const record = Buffer.alloc(16 + packet.length);
      record.writeUInt32LE(seconds >>> 0, 0);
      record.writeUInt32LE(micros - seconds * 1_000_000, 4);
      record.writeUInt32LE(packet.length, 8);
      record.writeUInt32LE(packet.length, 12);
      record.set(packet, 16);
      // The stream buffers; the archive is not a reason to stall capture.
      stream.write(record);
      count++;
    },
    get count() {
      return count;
    },
    async close() {
      if (closed) return;
      closed = true;
      stream.end();
      if (!stream.writableFinished) await once(stream, 'finish');
      if (failure) throw new Error(`cannot write ${path}: ${(failure as Error).message}`);
    },
  };
}
