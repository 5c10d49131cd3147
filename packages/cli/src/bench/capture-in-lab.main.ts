/**
 * The in-lab half of the `emulated` and `internet` capture benchmarks, run
 * inside a lab scanner namespace: the `sides` it is given (the bare node:net
 * loop, or the collector's prober with a capture method), each on its own
 * target list or the request's, chunk by chunk in alternating order (so a
 * change in the machine's load hits every side alike), a new prober per
 * chunk. Prints one JSON object on stdout.
 *
 * The `capture` benchmark runs each side in a process of its own instead
 * (capture-side-in-lab.main.ts), for the reasons given there.
 *
 *   echo '{"targets":[...],"sides":[...],"concurrency":256,"chunkSize":2000,...}' | node --import tsx capture-in-lab.main.ts
 */
import { text } from 'node:stream/consumers';
import { createProber } from '@osfp/collector';
import type { CaptureMethod, ProbeTarget } from '@osfp/collector';
import { BENCH_USER_AGENT as USER_AGENT, bareProbe, pool } from './reference-clients.ts';
import { timeBatch } from './timed-batch.ts';

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
  /** What runs, chunk by chunk. */
  sides: Side[];
}

const request = JSON.parse(await text(process.stdin)) as Request;

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
    return await timeBatch(prober, chunk, serverPids);
  } finally {
    await prober.close();
  }
}

const { sides } = request;
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
process.stdout.write(`${JSON.stringify({ chunks, warmUpProbes: warmUpProbesMade })}\n`);
