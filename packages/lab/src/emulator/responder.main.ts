/**
 * The responder process: emulated OSes answering for their address blocks on
 * one interface, one stack per OS. Started by the lab inside the emulation
 * namespace:
 *
 *   node --import tsx responder.main.ts '<json ResponderConfig or ResponderConfig[]>'
 *
 * The defaults run one OS per process (both cores share the load); extras
 * asked for together share a process (start-up is mostly Node and the
 * database, paid once).
 *
 * Prints `ready: <slug> ...` once it captures, a stats line every 30 s and on
 * SIGUSR2, and exits on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
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
  /** PEM files: HTTPS on 443 with this certificate. */
  tls?: { cert: string; key: string };
  path?: PathSpec;
}

function parseCidr(cidr: string): { base: number; size: number } {
  const [addr = '', bits = '32'] = cidr.split('/');
  const p = addr.split('.').map(Number);
  const base = (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0;
  return { base, size: 2 ** (32 - Number(bits)) };
}

const parsed = JSON.parse(process.argv[2] ?? '[]') as ResponderConfig | ResponderConfig[];
const configs = Array.isArray(parsed) ? parsed : [parsed];
if (
  configs.length === 0 ||
  configs.some((c) => !c.slug || !c.fingerprint || !c.cidr || !c.device) ||
  new Set(configs.map((c) => c.device)).size !== 1
) {
  console.error(
    'usage: responder.main.ts \'<{"slug","fingerprint","cidr","device",...} or a list of them on one device>\'',
  );
  process.exit(2);
}
const device = configs[0]!.device;
const started = performance.now();
const db = loadOsDb(configs[0]!.osDb ?? DEFAULT_OS_DB, (w) => console.warn(`warning: ${w}`));
// Every name is checked before anything is captured, so a typo is one clear error.
const fingerprints = configs.map((c) => requireFingerprint(db, c.fingerprint));

/** Block base -> stack; blocks are /22 or larger and never overlap, so the /22 key finds the stack. */
const byBlock = new Map<number, EmulatedStack>();
const stacks: EmulatedStack[] = [];
const io = openFrameIo({
  device,
  // Only IPv4 for our blocks reaches this process; ARP and the namespace's own traffic stay with the kernel.
  filter: `ip and (${configs.map((c) => `dst net ${c.cidr}`).join(' or ')})`,
  onFrame: (frame, length, at) => {
    if (length < 34) return;
    const dst = frame.readUInt32BE(30);
    (byBlock.get((dst & 0xfffffc00) >>> 0) ?? stacks[0])?.handleFrame(frame, length, at);
  },
});
for (const [i, config] of configs.entries()) {
  const { base, size } = parseCidr(config.cidr);
  const stack = new EmulatedStack({
    slug: config.slug,
    fingerprint: fingerprints[i]!,
    db,
    blockBase: base,
    blockSize: size,
    mac: io.mac,
    send: (frame, length) => io.send(frame, length),
    classOf: fingerprintClass,
    ...(config.httpPort !== undefined && { httpPort: config.httpPort }),
    ...(config.tls !== undefined && {
      tls: { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) },
    }),
    ...(config.path !== undefined && { path: config.path }),
  });
  for (let b = base; b < base + size; b += 1024) byBlock.set(b >>> 0, stack);
  stacks.push(stack);
}

const ticker = setInterval(() => {
  for (const s of stacks) s.tick();
}, 50);
const sweeper = setInterval(() => {
  for (const s of stacks) s.sweepPeerMacs();
}, 5_000);
const report = (): void => {
  const stack = stacks.map((s) => s.counters);
  const connections = stacks.map((s) => s.connectionStats);
  console.log(`stats: ${JSON.stringify({ io: io.stats, stack, connections })}`);
};
const reporter = setInterval(report, 30_000);
process.on('SIGUSR2', report);
const stop = (): void => {
  clearInterval(ticker);
  clearInterval(sweeper);
  clearInterval(reporter);
  for (const s of stacks) s.close();
  io.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
for (const [i, config] of configs.entries()) {
  const fp = fingerprints[i]!;
  console.log(
    `emulating: ${config.slug} "${fp.name}" (nmap-os-db line ${fp.line}, class ${fingerprintClass(fp)}) on ${config.cidr}` +
      `; profiles ${JSON.stringify(stacks[i]!.profileScores)}`,
  );
}
console.log(
  `ready: ${configs.map((c) => c.slug).join(',')} via ${device} in ${Math.round(performance.now() - started)} ms`,
);
