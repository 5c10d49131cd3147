/**
 * libpcap on the namespace's `any` device through `cap` (the workspace's
 * patched binding, which hands over each packet's kernel timestamp): one
 * handle sees every interface of the namespace, those that come up later
 * included, in both directions, with a kernel-side BPF filter
 * (capture-filter.ts). `any` delivers Linux cooked frames (LINUX_SLL, 16-byte
 * header), so the IP packet starts at byte 16 whatever the interface.
 *
 * `cap` dispatches packets from libuv's poll phase. In its batch mode (added
 * by patches/cap@0.2.1.patch) every packet of one poll round is packed into
 * one shared buffer (u32 length, f64 capture time, bytes; little-endian) and
 * handed over in one call: one JS call per round instead of one per packet,
 * which is most of the capture process's cost per packet. The buffer is
 * overwritten by the next round: `onPacket` must copy what it keeps before
 * returning.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

interface CapHandle {
  /** `blockMs` (patched): > 0 turns immediate mode off, packets then come a kernel block at a time. */
  open(device: string, filter: string, bufSize: number, buffer: Buffer, blockMs?: number): string;
  /** Batch mode (patched): 'packets' events with the bytes used and the packet count instead of 'packet' events. */
  setBatch(on: boolean): void;
  on(event: 'packets', listener: (bytesUsed: number, count: number) => void): void;
  close(): void;
}

const { Cap } = createRequire(import.meta.url)('cap') as { Cap: new () => CapHandle };

const SLL_HEADER = 16;
const RECORD_HEADER = 12;
/** Room for one poll round: SYN-ACKs and SYNs are small, and a full buffer is handed over early, never lost. */
const BATCH_BUFFER_BYTES = 1024 * 1024;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

export interface PcapSource {
  close(): void;
}

/**
 * Opens `any` with `filter`; `onPacket` gets each IP packet (a view valid only
 * during the call) and its capture time in epoch ms. With `blockMs` > 0 the
 * kernel (TPACKET_V3) hands packets over when a block fills or `blockMs` after
 * its first packet: one wake-up for many packets, each still stamped with the
 * time it arrived.
 */
export function openPcapSource(
  filter: string,
  bufferBytes: number,
  blockMs: number,
  onPacket: (packet: Buffer, capturedAtMs: number) => void,
  /** Told how long each batch took to handle, in ms. */
  onHandled?: (ms: number) => void,
): PcapSource {
  const cap = new Cap();
  const buffer = Buffer.alloc(BATCH_BUFFER_BYTES);
  const linkType = cap.open('any', filter, bufferBytes, buffer, blockMs);
  if (linkType !== 'LINKTYPE_LINUX_SLL') {
    cap.close();
    throw new Error(`libpcap on "any" gave link type ${linkType}, expected LINUX_SLL`);
  }
  cap.setBatch(true);
  cap.on('packets', (bytesUsed, count) => {
    const started = performance.now();
    let at = 0;
    for (let n = 0; n < count && at + RECORD_HEADER <= bytesUsed; n++) {
      const length = buffer.readUInt32LE(at);
      const capturedAtMs = buffer.readDoubleLE(at + 4) * 1000;
      const frame = at + RECORD_HEADER;
      at = frame + length;
      if (length <= SLL_HEADER) continue;
      const protocol = buffer.readUInt16BE(frame + 14);
      if (protocol !== ETHERTYPE_IPV4 && protocol !== ETHERTYPE_IPV6) continue;
      onPacket(buffer.subarray(frame + SLL_HEADER, at), capturedAtMs);
    }
    onHandled?.(performance.now() - started);
  });
  return { close: () => cap.close() };
}
