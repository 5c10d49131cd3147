/**
 * The in-lab half of the `capture` benchmark, run inside the lab's scanner
 * namespace: on the same targets, chunk by chunk in alternating order (so a
 * change in the machine's load hits both sides alike), (1) the reference,
 * a bare node:net loop - one fresh connection and one GET per target, the
 * first bytes of the answer read, no sniffing; (2) the collector's prober
 * with SYN-ACK capture by libpcap and a kernel BPF filter (the default);
 * (3) the same prober with the earlier raw-socket capture, for its rate and
 * the capture process's CPU per probe beside libpcap's; (4) undici with one Client per
 * target, the design card's client, to show what it would cost on the hot
 * path. Prints one JSON object on stdout. The bare loop runs twice in every
 * chunk, before and after (2), as `bare` and `bare-after`.
 *
 * `sides` replaces (1)-(3) with other comparisons on the same machinery: each
 * side probes its own target list (the `emulated-probe-rate` bench sets the
 * prober on emulated hosts against the prober on kernel personalities), in
 * the same alternating chunks.
 *
 *   echo '{"targets":[...],"concurrency":256,"chunkSize":2000,...}' | node --import tsx capture-in-lab.ts
 */
import net from 'node:net';
import { text } from 'node:stream/consumers';
import { Client } from 'undici';
import { createProber } from '@osfp/collector';
import type { CaptureMethod, ProbeTarget } from '@osfp/collector';
import { processesCpuMs } from './process-cpu.ts';

/**
 * One side of the comparison: the bare loop or the prober with a capture
 * method, on `targets` (else the request's); `serverPids` are the processes
 * serving those targets, whose CPU during the side's chunks is reported.
 */
interface Side {
  name: string;
  kind: 'bare' | CaptureMethod;
  targets?: ProbeTarget[];
  serverPids?: number[];
}

interface Request {
  targets: ProbeTarget[];
  concurrency: number;
  chunkSize: number;
  timeoutMs: number;
  undici: boolean;
  /** What runs, chunk by chunk (default: the bare loop, the prober with libpcap, the bare loop again, the prober with the raw socket). */
  sides?: Side[];
}

const request = JSON.parse(await text(process.stdin)) as Request;
const USER_AGENT = 'osfp-bench';

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return (performance.now() - started) / 1000;
}

/** The reference: connect, GET, first bytes, close. */
function bareProbe(target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.ip, port: target.port, noDelay: true });
    const timer = setTimeout(() => done(false), timeoutMs);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () =>
      socket.write(`GET / HTTP/1.1\r\nHost: ${target.ip}\r\nUser-Agent: ${USER_AGENT}\r\nConnection: close\r\n\r\n`),
    );
    socket.once('data', () => done(true));
    socket.once('error', () => done(false));
    socket.once('end', () => done(false));
  });
}

async function undiciProbe(target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  const client = new Client(`http://${target.ip}:${target.port}`, {
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    pipelining: 0,
  });
  try {
    const response = await client.request({ path: '/', method: 'GET', headers: { 'user-agent': USER_AGENT } });
    await response.body.dump();
    return true;
  } catch {
    return false;
  } finally {
    await client.destroy();
  }
}

const { targets, concurrency, timeoutMs } = request;

async function bareChunk(chunk: readonly ProbeTarget[]): Promise<{ bareSeconds: number; bareOk: number }> {
  let bareOk = 0;
  const bareSeconds = await pool(chunk, concurrency, async (t) => {
    if (await bareProbe(t, timeoutMs)) bareOk++;
  });
  return { bareSeconds, bareOk };
}

/**
 * Probes each new prober makes before its chunk is timed. A worker's prober
 * lives for the whole run; a new one runs cold: V8 optimises its code paths
 * (and, for the raw socket, a new capture process) only after thousands of
 * packets. Measured on the free lab, a
 * 2,000-probe chunk after 256 warm-up probes cost the prober 535-638 µs of
 * CPU a probe and its capture process 64-72 µs; after 4,000, 298-303 µs and
 * 21-23 µs, the figures of one prober kept for 16,000 probes.
 */
const WARM_UP_PROBES = 4_000;

/** Untimed probes made in all: they pass the lab's path bridges too, whose frames per probe the caller may count. */
let warmUpProbesMade = 0;

/** The chunk's own targets, round and round: new connections from other local ports, answered like any other. */
function warmUpTargets(chunk: readonly ProbeTarget[]): ProbeTarget[] {
  const warmUp = Array.from({ length: chunk.length === 0 ? 0 : WARM_UP_PROBES }, (_, i) => chunk[i % chunk.length]!);
  warmUpProbesMade += warmUp.length;
  return warmUp;
}

/**
 * The prober's start-up (capture, own SYN, warm-up) is a once-per-worker
 * cost and stays out of the timing; and it is closed before the reference
 * runs, whose packets its capture would otherwise read, slowing it down.
 */
async function proberChunk(chunk: ProbeTarget[], captureMethod: CaptureMethod, serverPids: readonly number[] = []) {
  const prober = await createProber({
    timeoutMs,
    concurrency,
    userAgent: USER_AGENT,
    bodyCapBytes: 16 * 1024,
    captureMethod,
  });
  try {
    await prober.probeBatch(warmUpTargets(chunk));
    // The capture's CPU is counted from here: its start-up is not the probes' cost.
    const before = await prober.captureStats();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const serversBefore = processesCpuMs(serverPids);
    const outcomes = await prober.probeBatch(chunk);
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpuMs = processesCpuMs(serverPids) - serversBefore;
    const seconds = (performance.now() - started) / 1000;
    const completed = outcomes.filter(
      (o) => !['refused', 'no-synack', 'unreachable', 'error'].includes(o.probe_status),
    );
    const stats = await prober.captureStats();
    return {
      seconds,
      succeeded: outcomes.filter((o) => o.probe_status === 'success').length,
      completed: completed.length,
      captured: completed.filter((o) => o.synack !== null).length,
      packetsRead: stats.packetsRead - before.packetsRead,
      captureCpuMs: stats.cpuMs - before.cpuMs,
      // The prober's own process (connections, HTTP, pairing): where a small machine's cores go.
      proberCpuMs: (cpu.user + cpu.system) / 1000,
      serverCpuMs,
      missed: stats.table.missed,
      syncs: stats.table.syncs,
    };
  } finally {
    await prober.close();
  }
}

// The bare loop runs twice per chunk, right before and right after the
// libpcap prober (in either order of the sides), and the reference is the
// mean of the two: this machine's pace drifts from one second to the next,
// and a reference on one side of the prober's run only would carry the drift.
// The two runs' spread is also the noise a per-chunk ratio cannot be told from.
const sides: Side[] = request.sides ?? [
  { name: 'bare', kind: 'bare' },
  { name: 'pcap', kind: 'pcap' },
  { name: 'bare-after', kind: 'bare' },
  { name: 'raw-socket', kind: 'raw-socket' },
];
// The bare loop's code is the in-lab process's own and stays optimised once
// warm: one warm-up before the first chunk, or that chunk times it cold.
for (const side of sides.filter((s) => s.kind === 'bare').slice(0, 1)) {
  const sideTargets = side.targets ?? targets;
  await pool(warmUpTargets(sideTargets.slice(0, request.chunkSize)), concurrency, (t) =>
    bareProbe(t, timeoutMs).then(() => undefined),
  );
}
const longest = Math.max(...sides.map((side) => (side.targets ?? targets).length));
const chunks = [];
for (let at = 0, index = 0; at < longest; at += request.chunkSize, index++) {
  // Alternating order, so that a change in the machine's load hits every side alike.
  const order = index % 2 === 0 ? sides : [...sides].reverse();
  const results: Record<string, unknown> = {};
  let size = 0;
  for (const side of order) {
    const chunk = (side.targets ?? targets).slice(at, at + request.chunkSize);
    size = Math.max(size, chunk.length);
    results[side.name] =
      side.kind === 'bare' ? await bareChunk(chunk) : await proberChunk(chunk, side.kind, side.serverPids);
  }
  chunks.push({ targets: size, ...results });
}
let undiciRate: number | null = null;
let undiciReference: number | null = null;
if (request.undici) {
  // A subset: undici is slow enough that the whole list would dominate the run.
  const subset = targets.slice(0, Math.min(targets.length, 4_000));
  let seconds = await pool(subset, concurrency, async (t) => {
    await undiciProbe(t, timeoutMs);
  });
  undiciRate = subset.length / seconds;
  seconds = await pool(subset, concurrency, async (t) => {
    await bareProbe(t, timeoutMs);
  });
  undiciReference = subset.length / seconds;
}
process.stdout.write(`${JSON.stringify({ chunks, undiciRate, undiciReference, warmUpProbes: warmUpProbesMade })}\n`);
