/**
 * libpcap on the namespace's `any` device through `cap` (the workspace's
 * patched binding, which hands over each packet's kernel timestamp): one
 * handle sees every interface of the namespace, those that come up later
 * included, in both directions, with a kernel-side BPF filter
 * (capture-filter.ts). `any` delivers Linux cooked frames (LINUX_SLL, 16-byte
 * header), so the IP packet starts at byte 16 whatever the interface.
 *
 * `cap` dispatches packets from libuv's poll phase, one JS call each, into
 * one shared buffer that the next packet overwrites: `onPacket` must copy
 * what it keeps before returning.
 */
import { createRequire } from 'node:module';

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean, capturedAt?: number) => void): void;
  close(): void;
}

const { Cap } = createRequire(import.meta.url)('cap') as { Cap: new () => CapHandle };

const SLL_HEADER = 16;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

export interface PcapSource {
  close(): void;
}

/**
 * Opens `any` with `filter`; `onPacket` gets each IP packet (a view valid only
 * during the call) and its capture time in epoch ms.
 */
export function openPcapSource(
  filter: string,
  bufferBytes: number,
  onPacket: (packet: Buffer, capturedAtMs: number) => void,
): PcapSource {
  const cap = new Cap();
  const buffer = Buffer.alloc(65_536 + SLL_HEADER);
  const linkType = cap.open('any', filter, bufferBytes, buffer);
  if (linkType !== 'LINKTYPE_LINUX_SLL') {
    cap.close();
    throw new Error(`libpcap on "any" gave link type ${linkType}, expected LINUX_SLL`);
  }
  cap.on('packet', (nbytes, _truncated, capturedAt) => {
    if (nbytes <= SLL_HEADER) return;
    const protocol = buffer.readUInt16BE(14);
    if (protocol !== ETHERTYPE_IPV4 && protocol !== ETHERTYPE_IPV6) return;
    onPacket(
      buffer.subarray(SLL_HEADER, nbytes),
      capturedAt === undefined ? performance.timeOrigin + performance.now() : capturedAt * 1000,
    );
  });
  return { close: () => cap.close() };
}
