/**
 * Raw Ethernet frames in and out of one interface through libpcap (`cap`):
 * the only way the responder meets the network. Kept free of any TCP/IP
 * knowledge so a delay-line process can bridge two interfaces with two of
 * these and the path conditions in between.
 *
 * libpcap hands each frame over in one shared buffer that the next frame
 * overwrites: a handler must finish with it (or copy it) before returning.
 * `cap` drives libpcap from the main libuv loop, so it runs in a process of
 * its own, never in a worker thread.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  /** `capturedAt`: libpcap's timestamp in epoch seconds (added by patches/cap@0.2.1.patch). */
  on(event: 'packet', listener: (nbytes: number, truncated: boolean, capturedAt?: number) => void): void;
  send(buffer: Buffer, length?: number): void;
  close(): void;
}

const require = createRequire(import.meta.url);
const { Cap } = require('cap') as { Cap: new () => CapHandle };

export interface FrameIo {
  readonly device: string;
  readonly mac: Buffer;
  send(frame: Buffer, length: number): void;
  close(): void;
  readonly stats: { received: number; sent: number; sendErrors: number };
}

export interface FrameIoOptions {
  device: string;
  /** pcap-filter(7) expression; frames outside it never reach this process. */
  filter: string;
  /** libpcap's kernel buffer in bytes (default 16 MiB: bursts of Nmap and prober traffic). */
  bufferBytes?: number;
  /**
   * Called once per frame with the shared buffer, the frame's length and
   * when the kernel captured it (epoch seconds): arrival times that do not
   * move with this process's event-loop lag, which Nmap's timing tests see.
   */
  onFrame(frame: Buffer, length: number, capturedAt: number): void;
}

/** The clock capture timestamps are on (CLOCK_REALTIME), with sub-millisecond resolution. */
export function epochSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

export function interfaceMac(device: string): Buffer {
  const text = readFileSync(`/sys/class/net/${device}/address`, 'utf8').trim();
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

export function openFrameIo(opts: FrameIoOptions): FrameIo {
  const cap = new Cap();
  const buffer = Buffer.alloc(65536);
  const linkType = cap.open(opts.device, opts.filter, opts.bufferBytes ?? 16 * 1024 * 1024, buffer);
  if (linkType !== 'ETHERNET') {
    cap.close();
    throw new Error(`frame I/O on ${opts.device}: link type ${linkType}, expected ETHERNET`);
  }
  const stats = { received: 0, sent: 0, sendErrors: 0 };
  cap.on('packet', (nbytes, _truncated, capturedAt) => {
    stats.received++;
    opts.onFrame(buffer, nbytes, capturedAt ?? epochSeconds());
  });
  return {
    device: opts.device,
    mac: interfaceMac(opts.device),
    stats,
    send(frame, length) {
      try {
        cap.send(frame, length);
        stats.sent++;
      } catch {
        // A full socket buffer: the frame is lost, as on a congested link; TCP retransmits.
        stats.sendErrors++;
      }
    },
    close() {
      cap.close();
    },
  };
}
