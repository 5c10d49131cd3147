/**
 * One side of the `capture` benchmark, run inside a lab scanner namespace
 * for the whole run: the bare node:net loop, undici, or the collector's
 * prober with a capture method. It reads its SideConfig on the first stdin
 * line, prints a line when ready, then for every line of targets probes them
 * once and prints one SideChunk line; when stdin ends it closes its prober.
 *
 * Why a process per side, each kept for the whole run, each in a scanner
 * namespace of its own: a worker keeps one prober for its life, so its steady
 * pace is what counts, not the start-up and heap churn of a new prober per
 * chunk; each side's garbage is collected in its own heap, not in the next
 * side's timed chunk; and a prober's capture, left open between its chunks,
 * sees only its own namespace's packets, not the reference's
 * (docs/benchmarks.md, capture).
 */
import { createInterface } from 'node:readline';
import { createProber, type Prober, type ProbeTarget } from '@osfp/collector';
import type { SideChunk, SideConfig } from './capture-side-process.ts';
import { BENCH_USER_AGENT, bareProbe, pool, undiciProbe } from './reference-clients.ts';
import { timeBatch } from './timed-batch.ts';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const first = await lines.next();
if (first.done) process.exit(0);
const config = JSON.parse(first.value) as SideConfig;
const { kind, concurrency, timeoutMs } = config;

const prober: Prober | null =
  kind === 'bare' || kind === 'undici'
    ? null
    : await createProber({
        timeoutMs,
        concurrency,
        userAgent: BENCH_USER_AGENT,
        bodyCapBytes: 16 * 1024,
        captureMethod: kind,
      });

async function clientChunk(targets: readonly ProbeTarget[]): Promise<SideChunk> {
  const probe = kind === 'undici' ? undiciProbe : bareProbe;
  let completed = 0;
  const cpu = process.cpuUsage();
  const seconds = await pool(targets, concurrency, async (t) => {
    if (await probe(t, timeoutMs)) completed++;
  });
  const used = process.cpuUsage(cpu);
  return { seconds, completed, cpuMs: (used.user + used.system) / 1000 };
}

async function proberChunk(prober: Prober, targets: ProbeTarget[]): Promise<SideChunk> {
  const batch = await timeBatch(prober, targets);
  return { ...batch, cpuMs: batch.proberCpuMs };
}

process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
try {
  for (let line = await lines.next(); !line.done; line = await lines.next()) {
    const { targets } = JSON.parse(line.value) as { targets: ProbeTarget[] };
    const chunk = prober ? await proberChunk(prober, targets) : await clientChunk(targets);
    process.stdout.write(`${JSON.stringify(chunk)}\n`);
  }
} finally {
  await prober?.close();
}
