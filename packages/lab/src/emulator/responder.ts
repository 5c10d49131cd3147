/**
 * The responder process: one emulated OS answering for its address block on
 * one interface. Started by the lab inside the emulation namespace:
 *
 *   node --import tsx responder.ts '<json ResponderConfig>'
 *
 * Prints `ready: <slug> ...` once it captures, a stats line every 30 s and on
 * SIGUSR2, and exits on SIGTERM/SIGINT.
 */
import { fingerprintClass } from './catalog.ts';
import { openFrameIo } from './frame-io.ts';
import { DEFAULT_OS_DB, loadOsDb, requireFingerprint } from './os-db.ts';
import type { PathSpec } from './path.ts';
import { EmulatedStack } from './stack.ts';

export interface ResponderConfig {
  slug: string;
  fingerprint: string;
  /** The block: e.g. 198.18.4.0/22; every address of it is a host (the first and last are never listed as targets). */
  cidr: string;
  device: string;
  osDb?: string;
  httpPort?: number;
  path?: PathSpec;
}

function parseCidr(cidr: string): { base: number; size: number } {
  const [addr = '', bits = '32'] = cidr.split('/');
  const p = addr.split('.').map(Number);
  const base = (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0;
  return { base, size: 2 ** (32 - Number(bits)) };
}

const config = JSON.parse(process.argv[2] ?? '{}') as ResponderConfig;
if (!config.slug || !config.fingerprint || !config.cidr || !config.device) {
  console.error('usage: responder.ts \'{"slug","fingerprint","cidr","device",...}\'');
  process.exit(2);
}
const started = performance.now();
const db = loadOsDb(config.osDb ?? DEFAULT_OS_DB, (w) => console.warn(`warning: ${w}`));
const fingerprint = requireFingerprint(db, config.fingerprint);
const { base, size } = parseCidr(config.cidr);

let stack: EmulatedStack | null = null;
const io = openFrameIo({
  device: config.device,
  // Only IPv4 for our block reaches this process; ARP and the namespace's own traffic stay with the kernel.
  filter: `ip and dst net ${config.cidr}`,
  onFrame: (frame, length, at) => stack?.handleFrame(frame, length, at),
});
const ready = new EmulatedStack({
  slug: config.slug,
  fingerprint,
  db,
  blockBase: base,
  blockSize: size,
  mac: io.mac,
  send: (frame, length) => io.send(frame, length),
  classOf: fingerprintClass,
  ...(config.httpPort !== undefined && { httpPort: config.httpPort }),
  ...(config.path !== undefined && { path: config.path }),
});
stack = ready;

const ticker = setInterval(() => ready.tick(), 50);
const sweeper = setInterval(() => ready.sweepPeerMacs(), 5_000);
const report = (): void => {
  console.log(`stats: ${JSON.stringify({ io: io.stats, stack: ready.counters, connections: ready.connectionStats })}`);
};
const reporter = setInterval(report, 30_000);
process.on('SIGUSR2', report);
const stop = (): void => {
  clearInterval(ticker);
  clearInterval(sweeper);
  clearInterval(reporter);
  ready.close();
  io.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
console.log(
  `ready: ${config.slug} "${fingerprint.name}" (nmap-os-db line ${fingerprint.line}, class ${fingerprintClass(fingerprint)}) on ${config.cidr} via ${config.device}` +
    ` in ${Math.round(performance.now() - started)} ms; profiles ${JSON.stringify(ready.profileScores)}`,
);
