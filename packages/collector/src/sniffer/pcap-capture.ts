/**
 * The default capture, in the prober's own process: libpcap on `any` with a
 * kernel BPF filter, so that only SYN-ACKs to our local ports and our own
 * SYNs are ever copied out of the kernel (capture-filter.ts), a kernel block
 * at a time (pcap-source.ts). The kernel's ring holds them until the event
 * loop reads them, so, unlike the raw socket, this capture needs no process
 * of its own; and without one, no pipe, no frames to encode and decode, and
 * no second event loop competing for a small machine's cores
 * (docs/benchmarks.md, capture).
 */
import { readFile } from 'node:fs/promises';
import type { CaptureBackend, CaptureDelivery } from './capture-backend.ts';
import { captureStartError } from './capture-backend.ts';
import { captureFilter, localPortRange } from './capture-filter.ts';
import { CaptureTriage } from './capture-triage.ts';
import { openPcapSource, type PcapSource } from './pcap-source.ts';

export interface PcapCaptureOptions {
  readonly receiveBufferBytes: number;
  /** How long our SYNs are remembered for pairing. */
  readonly synTtlMs: number;
  /** The kernel hands packets over a block at a time, at the latest this many ms after a block's first packet (0: at once). */
  readonly blockMs: number;
}

export async function openPcapCapture(options: PcapCaptureOptions, delivery: CaptureDelivery): Promise<CaptureBackend> {
  const triage = new CaptureTriage(
    {
      // Views of libpcap's batch buffer, overwritten by the next batch: copied
      // (from Node's shared pool; an ArrayBuffer of its own per packet costs more).
      synAck: (packet, at, syn) => delivery.synAck(Buffer.from(packet), at, syn),
      watchedSyn: (packet, at) => delivery.watchedSyn(Buffer.from(packet), at),
    },
    { pairing: true, synTtlMs: options.synTtlMs },
  );
  const ports = await localPortRange((path) => readFile(path, 'utf8'));
  // Time spent on captured packets: the capture's CPU in this process, which
  // process.cpuUsage() cannot tell apart from the probes'.
  let handlingMs = 0;
  let source: PcapSource;
  try {
    source = openPcapSource(
      captureFilter(ports),
      options.receiveBufferBytes,
      options.blockMs,
      (packet, at) => triage.keep(packet, packet.length, at),
      (ms) => (handlingMs += ms),
    );
  } catch (error) {
    throw captureStartError(`cannot open libpcap on "any": ${error instanceof Error ? error.message : String(error)}`);
  }
  const { blockMs } = options;
  /**
   * A packet queued before now is in a block the kernel retires within
   * blockMs of the block's first packet; the timer (twice that, so the
   * retirement is surely past) is followed by a poll round that delivers the
   * block, and setImmediate runs after that round.
   */
  const readNow = (then: () => void) => setTimeout(() => setImmediate(then), 2 * blockMs + 1);
  let closed = false;
  return {
    pid: process.pid,
    failure: null,
    readNow,
    watchSyn(port) {
      triage.watchedSynPorts.add(port);
      return Promise.resolve();
    },
    unwatchSyn(port) {
      triage.watchedSynPorts.delete(port);
    },
    counts() {
      return new Promise((resolve) =>
        readNow(() => {
          const pairing = triage.pairingCounts();
          resolve({
            packetsRead: triage.packetsRead,
            synAcksForwarded: triage.synAcksForwarded,
            readErrors: 0,
            foreignSynAcks: pairing.foreign,
            retransmittedSyns: pairing.retransmittedSyns,
            cpuMs: handlingMs,
          });
        }),
      );
    },
    close() {
      if (!closed) {
        closed = true;
        source.close();
      }
      return Promise.resolve();
    },
  };
}
