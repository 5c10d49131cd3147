/**
 * The capture process: owns the capture so that reading it never waits
 * behind the prober's event loop (issue 3: 1.3 % captured in the same loop
 * as ~4,000 connections/s). It pairs every SYN-ACK with the SYN it answers
 * (syn-pairing.ts), forwards SYN-ACKs with their SYN, and, while asked, the
 * SYNs the prober sends to its own learning listener; all as one batch per
 * read-out on stdout. Commands arrive as lines on stdin (capture-frames.ts).
 *
 * Two ways to capture, one argument picks:
 * - `pcap` (the default): libpcap on `any` with a kernel BPF filter, so only
 *   SYN-ACKs to our local ports and our own SYNs are ever copied to this
 *   process (capture-filter.ts, pcap-source.ts);
 * - `raw-socket`: the earlier IPPROTO_TCP raw socket, IPv4 only and inbound
 *   only (every inbound TCP packet, filtered here in JavaScript; no SYNs, so
 *   no pairing). Kept runnable for the capture benchmark's comparison.
 *
 * Runs as `node --import tsx capture.main.ts METHOD RCVBUF_BYTES SYN_TTL_MS BLOCK_MS`
 * in the prober's network namespace (it inherits it). Needs CAP_NET_RAW.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { openRawTcpReader } from './raw-ipv4-socket.ts';
import { captureFilter, localPortRange } from './capture-filter.ts';
import { openPcapSource } from './pcap-source.ts';
import { SynPairing } from './syn-pairing.ts';
import {
  encodeStatsFrame,
  encodeSynAckFrame,
  encodeSynFrame,
  encodeSyncedFrame,
  encodeWatchingFrame,
} from './capture-frames.ts';
import { isOpeningSyn, isSynAck, locateTcp } from '@osfp/features';

// Every raw-socket read-out ends with recv throwing EAGAIN; stack traces would
// make that the most expensive line of the capture loop.
Error.stackTraceLimit = 0;

const method = process.argv[2] === 'raw-socket' ? 'raw-socket' : 'pcap';
const receiveBufferBytes = Number(process.argv[3] ?? 32 * 1024 * 1024);
const synTtlMs = Number(process.argv[4] ?? 60_000);
const blockMs = Number(process.argv[5] ?? 0);
const watchedSynPorts = new Set<number>();
const pairing = new SynPairing(synTtlMs);
let packetsRead = 0;
let synAcksForwarded = 0;
let readErrors = 0;
let batch: Buffer[] = [];

const epochMs = () => performance.timeOrigin + performance.now();

/**
 * The connection key of a packet, from the raw address and port bytes
 * (remote address, remote port, local port), without formatting addresses:
 * this runs for every packet, and only SYN-ACKs ever need their text.
 */
function rawKey(packet: Buffer, remoteAt: number, addressBytes: number, remotePortAt: number, localPortAt: number) {
  return (
    packet.toString('latin1', remoteAt, remoteAt + addressBytes) +
    packet.toString('latin1', remotePortAt, remotePortAt + 2) +
    packet.toString('latin1', localPortAt, localPortAt + 2)
  );
}

/** One captured IP packet (a view valid only during the call). */
function keep(packet: Buffer, length: number, at: number): void {
  packetsRead++;
  const location = locateTcp(packet, length);
  if (!location.ok) return;
  const t = location.offset;
  const flags = packet[t + 13]!;
  // Source address at 12 (IPv4) or 8 (IPv6), destination right after it.
  const srcAt = location.version === 4 ? 12 : 8;
  const bytes = location.version === 4 ? 4 : 16;
  if (isSynAck(flags)) {
    const key = rawKey(packet, srcAt, bytes, t, t + 2);
    const verdict = pairing.answered(key, packet.readUInt32BE(t + 8), at);
    if (verdict.kind === 'foreign') return; // another connection's SYN-ACK: it must never reach a probe
    synAcksForwarded++;
    const copy = packet.subarray(0, length);
    queue(
      verdict.kind === 'paired'
        ? encodeSynAckFrame(
            copy,
            at,
            { packet: verdict.syn.packet, sentAt: verdict.syn.firstAt, sends: verdict.syn.sends },
            verdict.answer,
          )
        : encodeSynAckFrame(copy, at, null, 0),
    );
  } else if (isOpeningSyn(flags)) {
    if (method === 'pcap') {
      const key = rawKey(packet, srcAt + bytes, bytes, t + 2, t);
      pairing.sent(key, packet.readUInt32BE(t + 4), new Uint8Array(packet.subarray(0, length)), at);
    }
    const dstPort = packet.readUInt16BE(t + 2);
    if (watchedSynPorts.size > 0 && watchedSynPorts.has(dstPort)) {
      batch.push(encodeSynFrame(packet.subarray(0, length), at));
      flush();
    }
  }
}

/**
 * Frames go out once per event-loop round (libpcap's packets of one poll round
 * come in one call, patches/cap@0.2.1.patch): one pipe write, and one wake-up
 * of the prober, for every SYN-ACK of the round. A timer instead would add
 * a wake-up per SYN-ACK whenever packets come slower than it fires.
 */
let flushScheduled = false;

function queue(frame: Buffer): void {
  batch.push(frame);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  flushScheduled = false;
  if (batch.length === 0) return;
  const out = batch.length === 1 ? batch[0]! : Buffer.concat(batch);
  batch = [];
  process.stdout.write(out);
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function fail(what: string, error: unknown, code: number): never {
  process.stderr.write(`osfp capture: ${what}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(code);
}

/** Reads whatever the capture holds now, then calls `then` (a sync's answer comes after every packet queued before it). */
let readNow: (then: () => void) => void;
let closeSource: () => void;

if (method === 'pcap') {
  const ports = await localPortRange((path) => readFile(path, 'utf8'));
  try {
    const source = openPcapSource(captureFilter(ports), receiveBufferBytes, blockMs, (packet, at) =>
      keep(packet, packet.length, at),
    );
    closeSource = () => source.close();
  } catch (error) {
    fail('cannot open libpcap on "any"', error, 2);
  }
  // Packets already in the kernel's ring make its descriptor readable in the
  // same poll round as our stdin; the check phase (setImmediate) runs after
  // that round has dispatched them. With blocks, a packet that arrived before
  // the request may sit in an open block until the kernel retires it (within
  // blockMs of its first packet; twice that leaves room for the timer's phase).
  const settle = (then: () => void) =>
    setImmediate(() => {
      flush();
      then();
    });
  readNow = blockMs > 0 ? (then) => setTimeout(() => settle(then), 2 * blockMs + 1) : settle;
  process.stderr.write(`osfp capture: ready method=pcap ports=${ports.low}-${ports.high} block=${blockMs}ms\n`);
} else {
  const drain = () => {
    try {
      reader.drain((packet, length) => {
        const flags = packet[(packet[0]! & 0x0f) * 4 + 13] ?? 0;
        // Only SYNs and SYN-ACKs are worth a full header read; the raw socket gets every inbound TCP packet.
        if (flags & 0x02) keep(packet, length, epochMs());
        else packetsRead++;
      });
    } catch (error) {
      readErrors++;
      process.stderr.write(`osfp capture: read failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    flush();
  };
  const open = () => {
    try {
      return openRawTcpReader(receiveBufferBytes, drain, (error) => fail('raw socket error', error, 3));
    } catch (error) {
      fail('cannot open a raw TCP socket', error, 2);
    }
  };
  const reader = open();
  readNow = (then) => {
    drain();
    then();
  };
  closeSource = () => reader.close();
  process.stderr.write(`osfp capture: ready method=raw-socket rcvbuf=${reader.receiveBufferBytes}\n`);
}

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  const [command, argument] = line.trim().split(/\s+/);
  const value = Number(argument);
  if (command === 'sync') {
    readNow(() => {
      batch.push(encodeSyncedFrame(value));
      flush();
    });
  } else if (command === 'watch-syn') {
    watchedSynPorts.add(value);
    batch.push(encodeWatchingFrame(value));
    flush();
  } else if (command === 'unwatch-syn') {
    watchedSynPorts.delete(value);
  } else if (command === 'stats') {
    readNow(() => {
      const pairingStats = pairing.stats();
      batch.push(
        encodeStatsFrame({
          packetsRead,
          synAcksForwarded,
          readErrors,
          foreignSynAcks: pairingStats.foreign,
          retransmittedSyns: pairingStats.retransmittedSyns,
          cpuMs: cpuMs(),
        }),
      );
      flush();
    });
  }
});
// The parent closing our stdin (or dying) ends the capture.
commands.on('close', () => {
  closeSource();
  process.exit(0);
});
