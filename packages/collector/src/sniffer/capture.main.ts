/**
 * The raw-socket capture process, the earlier way to capture, kept runnable
 * for the capture benchmark's comparison (OSFP_CAPTURE_METHOD=raw-socket):
 * an IPPROTO_TCP raw socket, IPv4 and inbound only, so it reads every inbound
 * TCP packet and filters here in JavaScript; it sees no SYNs, so no pairing.
 * It runs in a process of its own because a raw socket's queue must be read
 * as packets come (issue 3: 1.3 % captured in the same loop as ~4,000
 * connections/s). SYN-ACKs go to the parent as one batch per read-out on
 * stdout; commands arrive as lines on stdin (capture-frames.ts).
 *
 * The default capture, libpcap with a kernel BPF filter, needs no process of
 * its own: its kernel ring holds packets until they are read (pcap-capture.ts).
 *
 * Runs as `node --import tsx capture.main.ts RCVBUF_BYTES` in the prober's
 * network namespace (it inherits it). Needs CAP_NET_RAW.
 */
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { openRawTcpReader } from './raw-ipv4-socket.ts';
import { CaptureTriage } from './capture-triage.ts';
import {
  encodeStatsFrame,
  encodeSynAckFrame,
  encodeSynFrame,
  encodeSyncedFrame,
  encodeWatchingFrame,
} from './capture-frames.ts';

// Every raw-socket read-out ends with recv throwing EAGAIN; stack traces would
// make that the most expensive line of the capture loop.
Error.stackTraceLimit = 0;

const receiveBufferBytes = Number(process.argv[2] ?? 32 * 1024 * 1024);
let readErrors = 0;
let batch: Buffer[] = [];

const epochMs = () => performance.timeOrigin + performance.now();

const triage = new CaptureTriage(
  {
    synAck: (packet, at, syn, answer) => batch.push(encodeSynAckFrame(packet, at, syn, answer)),
    watchedSyn: (packet, at) => batch.push(encodeSynFrame(packet, at)),
  },
  { pairing: false, synTtlMs: 0 },
);

/** One pipe write, and one wake-up of the prober, per read-out. */
function flush(): void {
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

const drain = () => {
  try {
    reader.drain((packet, length) => {
      const flags = packet[(packet[0]! & 0x0f) * 4 + 13] ?? 0;
      // Only SYNs and SYN-ACKs are worth a full header read; the raw socket gets every inbound TCP packet.
      if (flags & 0x02) triage.keep(packet, length, epochMs());
      else triage.skip();
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
process.stderr.write(`osfp capture: ready method=raw-socket rcvbuf=${reader.receiveBufferBytes}\n`);

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  const [command, argument] = line.trim().split(/\s+/);
  const value = Number(argument);
  if (command === 'sync') {
    // Everything queued before the request is read before the answer.
    drain();
    batch.push(encodeSyncedFrame(value));
    flush();
  } else if (command === 'watch-syn') {
    triage.watchedSynPorts.add(value);
    batch.push(encodeWatchingFrame(value));
    flush();
  } else if (command === 'unwatch-syn') {
    triage.watchedSynPorts.delete(value);
  } else if (command === 'stats') {
    drain();
    const pairing = triage.pairingCounts();
    batch.push(
      encodeStatsFrame({
        packetsRead: triage.packetsRead,
        synAcksForwarded: triage.synAcksForwarded,
        readErrors,
        foreignSynAcks: pairing.foreign,
        retransmittedSyns: pairing.retransmittedSyns,
        cpuMs: cpuMs(),
      }),
    );
    flush();
  }
});
// The parent closing our stdin (or dying) ends the capture.
commands.on('close', () => {
  reader.close();
  process.exit(0);
});
