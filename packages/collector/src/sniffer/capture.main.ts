/**
 * The capture process: owns the raw socket so that reading it never waits
 * behind the prober's event loop (issue 3: 1.3 % captured in the same loop
 * as ~4,000 connections/s). It reads the socket dry on every readiness event,
 * keeps only SYN-ACKs (and, while asked, the SYNs the prober sends to its own
 * learning listener), and writes them to stdout as one batch per read-out.
 * Commands arrive as lines on stdin (see capture-frames.ts).
 *
 * Runs as `node --import tsx capture.main.ts RCVBUF_BYTES` in the prober's
 * network namespace (it inherits it). Needs CAP_NET_RAW.
 */
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { openRawTcpReader } from './raw-ipv4-socket.ts';
import {
  encodePacketFrame,
  encodeStatsFrame,
  encodeSyncedFrame,
  encodeWatchingFrame,
  FRAME_SYN,
  FRAME_SYNACK,
} from './capture-frames.ts';
import { isOpeningSyn, isSynAck, tcpDstPort, tcpFlags } from '@osfp/features';

// Every read-out ends with recv throwing EAGAIN; stack traces would make that
// the most expensive line of the capture loop.
Error.stackTraceLimit = 0;

const receiveBufferBytes = Number(process.argv[2] ?? 32 * 1024 * 1024);
const watchedSynPorts = new Set<number>();
let packetsRead = 0;
let synAcksForwarded = 0;
let readErrors = 0;
let batch: Buffer[] = [];

const epochMs = () => performance.timeOrigin + performance.now();

function keep(packet: Buffer, length: number): void {
  packetsRead++;
  const flags = tcpFlags(packet, length);
  if (isSynAck(flags)) {
    synAcksForwarded++;
    batch.push(encodePacketFrame(FRAME_SYNACK, packet.subarray(0, length), epochMs()));
  } else if (watchedSynPorts.size > 0 && isOpeningSyn(flags) && watchedSynPorts.has(tcpDstPort(packet, length))) {
    batch.push(encodePacketFrame(FRAME_SYN, packet.subarray(0, length), epochMs()));
  }
}

function flush(): void {
  if (batch.length === 0) return;
  const out = batch.length === 1 ? batch[0]! : Buffer.concat(batch);
  batch = [];
  process.stdout.write(out);
}

function readOut(): void {
  try {
    reader.drain(keep);
  } catch (error) {
    readErrors++;
    process.stderr.write(`osfp capture: read failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  flush();
}

function openReader() {
  try {
    return openRawTcpReader(receiveBufferBytes, readOut, (error) => {
      process.stderr.write(`osfp capture: raw socket error: ${error.message}\n`);
      process.exit(3);
    });
  } catch (error) {
    process.stderr.write(
      `osfp capture: cannot open a raw TCP socket: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(2);
  }
}
const reader = openReader();
process.stderr.write(`osfp capture: ready rcvbuf=${reader.receiveBufferBytes}\n`);

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  const [command, argument] = line.trim().split(/\s+/);
  const value = Number(argument);
  if (command === 'sync') {
    readOut();
    batch.push(encodeSyncedFrame(value));
    flush();
  } else if (command === 'watch-syn') {
    watchedSynPorts.add(value);
    batch.push(encodeWatchingFrame(value));
    flush();
  } else if (command === 'unwatch-syn') {
    watchedSynPorts.delete(value);
  } else if (command === 'stats') {
    readOut();
    batch.push(encodeStatsFrame(packetsRead, synAcksForwarded, readErrors));
    flush();
  }
});
// The parent closing our stdin (or dying) ends the capture.
commands.on('close', () => {
  reader.close();
  process.exit(0);
});
