/**
 * `capture`: collector probes/s with SYN-ACK sniffing ÷ a bare node:net loop
 * (one fresh connection + GET per target, no sniffing), and the share of
 * completed handshakes whose SYN-ACK was captured - one run, same lab
 * targets, every side a process of its own inside a lab scanner namespace
 * of its own (capture-side-in-lab.main.ts). The earlier raw-socket capture
 * runs on the same chunks, for the capture process's CPU per probe beside
 * the libpcap one's. Also measures
 * undici (one Client per target) against the same bare loop: the figure
 * behind the choice of node:net for the hot path (docs/benchmarks.md#capture).
 *
 * Uses the lab with prefix `osfpb` (OSFP_BENCH_LAB_PREFIX overrides): brings
 * it up when it is not, and takes it down afterwards only if it brought it up;
 * it adds scanners 2 and 3 to it (lab down removes them).
 * OSFP_BENCH_CAPTURE_TARGETS sets targets per personality (default 4,000),
 * OSFP_BENCH_CAPTURE_CHUNK targets per chunk (default 2,000).
 */
import { addScanner, numberToIp, ipToNumber, type LabPlan } from '@osfp/lab';
import { captureBlockMsFromEnv, type ProbeTarget } from '@osfp/collector';
import { ratioOf, type BenchFigure, type Benchmark } from './benchmark.ts';
import { intFromEnv } from './bench-env.ts';
import { withBenchLab } from './bench-lab.ts';
import { startSide, type SideChunk, type SideConfig, type SideProcess } from './capture-side-process.ts';

const CONCURRENCY = 256;
const TIMEOUT_MS = 5_000;
/**
 * Untimed probes each side makes before the first chunk: V8 optimises a
 * side's code paths (and, for the raw socket, its capture process's) only
 * after thousands of packets (the figures are in capture-in-lab.main.ts).
 */
const WARM_UP_PROBES = 4_000;
/** undici is slow enough that the whole list would dominate the run: it and its reference probe this many. */
const UNDICI_TARGETS = 4_000;

interface Chunk {
  targets: number;
  bare: SideChunk;
  'bare-after': SideChunk;
  pcap: SideChunk;
  'raw-socket': SideChunk;
}

interface Measured {
  chunks: Chunk[];
  undici: SideChunk;
  undiciReference: SideChunk;
  undiciTargets: number;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** `perPersonality` distinct hosts of every personality, port 80, interleaved so load spreads over all servers. */
function benchTargets(plan: LabPlan, perPersonality: number): { ip: string; port: number }[] {
  const targets: { ip: string; port: number }[] = [];
  for (let n = 0; n < perPersonality; n++) {
    for (const personality of plan.personalities)
      targets.push({ ip: numberToIp(ipToNumber(personality.firstHost) + n), port: 80 });
  }
  return targets;
}

/** `count` targets from `targets`, round and round. */
function roundAndRound(targets: readonly ProbeTarget[], count: number): ProbeTarget[] {
  return Array.from({ length: targets.length === 0 ? 0 : count }, (_, i) => targets[i % targets.length]!);
}

/**
 * The chunks, each side in a process of its own for the whole run and in a
 * scanner namespace of its own (capture-side-in-lab.main.ts says why): the
 * bare loop in scanner 2 (twice a chunk, before and after the libpcap
 * prober), the libpcap prober in the lab's scanner, the raw-socket prober in
 * scanner 3; then undici and the bare loop on a subset.
 */
async function measure(
  plan: LabPlan,
  targets: ProbeTarget[],
  chunkSize: number,
  signal: AbortSignal,
): Promise<Measured> {
  const [reference, raw] = [
    (await addScanner(2, { prefix: plan.prefix })).namespace,
    (await addScanner(3, { prefix: plan.prefix })).namespace,
  ];
  const config = (kind: SideConfig['kind']): SideConfig => ({ kind, concurrency: CONCURRENCY, timeoutMs: TIMEOUT_MS });
  const started: SideProcess[] = [];
  const start = async (namespace: string, kind: SideConfig['kind']) => {
    const side = await startSide(namespace, config(kind), signal);
    started.push(side);
    return side;
  };
  const closeAll = async () => {
    const closed = await Promise.allSettled(started.map((side) => side.close()));
    return closed.find((c): c is PromiseRejectedResult => c.status === 'rejected')?.reason as unknown;
  };
  let result: Measured;
  try {
    const bare = await start(reference, 'bare');
    const pcap = await start(plan.scannerNamespace, 'pcap');
    const rawSocket = await start(raw, 'raw-socket');
    const warmUp = roundAndRound(targets.slice(0, chunkSize), WARM_UP_PROBES);
    for (const side of [bare, pcap, rawSocket]) await side.run(warmUp);
    // The bare loop runs twice per chunk, right before and right after the
    // libpcap prober (in either order of the sides), and the reference is the
    // mean of the two: this machine's pace drifts from one second to the next,
    // and a reference on one side of the prober's run only would carry the drift.
    // The two runs' spread is also the noise a per-chunk ratio cannot be told from.
    const order = [
      ['bare', bare],
      ['pcap', pcap],
      ['bare-after', bare],
      ['raw-socket', rawSocket],
    ] as const;
    const chunks: Chunk[] = [];
    for (let at = 0, index = 0; at < targets.length; at += chunkSize, index++) {
      const chunk = targets.slice(at, at + chunkSize);
      const results: Partial<Chunk> = { targets: chunk.length };
      // Alternating order, so that a change in the machine's load hits every side alike.
      for (const [name, side] of index % 2 === 0 ? order : [...order].reverse()) results[name] = await side.run(chunk);
      chunks.push(results as Chunk);
    }
    const undiciSide = await start(reference, 'undici');
    const subset = targets.slice(0, UNDICI_TARGETS);
    await undiciSide.run(roundAndRound(subset.slice(0, chunkSize), chunkSize));
    const undici = await undiciSide.run(subset);
    const undiciReference = await bare.run(subset);
    result = { chunks, undici, undiciReference, undiciTargets: subset.length };
  } catch (error) {
    // The first error is the one to report, not a side's exit on the way down.
    await closeAll();
    throw error;
  }
  const failedToClose = await closeAll();
  if (failedToClose) throw failedToClose;
  return result;
}

export const captureBenchmark: Benchmark = {
  name: 'capture',
  description:
    'probes/s with SYN-ACK sniffing vs a bare node:net loop, and capture completeness (lab scanner namespace)',
  async run(signal) {
    // Read before the lab comes up: a typo is an error at once, not after a minute of lab set-up.
    const perPersonality = intFromEnv('OSFP_BENCH_CAPTURE_TARGETS', 4_000, 10, 16_000);
    const chunkSize = intFromEnv('OSFP_BENCH_CAPTURE_CHUNK', 2_000, 500, 64_000);
    return withBenchLab(async (plan) => {
      const targets = benchTargets(plan, perPersonality);
      const { chunks, undici, undiciReference, undiciTargets } = await measure(plan, targets, chunkSize, signal);
      const probed = sum(chunks.map((c) => c.targets));
      // The reference in each chunk: the mean of the bare loop's two runs, one each side of the libpcap prober's.
      const bareSeconds = chunks.map((c) => (c.bare.seconds + c['bare-after'].seconds) / 2);
      const bare = probed / sum(bareSeconds);
      // The bare loop against itself, same chunk, seconds apart: what a per-chunk ratio cannot be told from.
      const bareSpread = chunks.map((c) => c['bare-after'].seconds / c.bare.seconds);
      const bareSpreadWorst = Math.min(...bareSpread.map((r) => Math.min(r, 1 / r)));
      const rateOf = (side: 'pcap' | 'raw-socket') => probed / sum(chunks.map((c) => c[side].seconds));
      const probe = rateOf('pcap');
      const rawProbe = rateOf('raw-socket');
      const completed = sum(chunks.map((c) => c.pcap.completed));
      const captured = sum(chunks.map((c) => c.pcap.captured ?? 0));
      const completeness = completed === 0 ? 0 : (100 * captured) / completed;
      const rateRatio = ratioOf(probe, bare);
      const chunkRatios = chunks.map((c, i) => bareSeconds[i]! / c.pcap.seconds);
      const worstChunk = Math.min(...chunkRatios);
      // Capture CPU per probe, in microseconds: libpcap's packet handling in the
      // prober's own event loop, against the raw socket's capture process.
      const cpuPerProbe = (side: 'pcap' | 'raw-socket') =>
        (1000 * sum(chunks.map((c) => c[side].captureCpuMs ?? 0))) / probed;
      const packetsPerProbe = (side: 'pcap' | 'raw-socket') =>
        sum(chunks.map((c) => c[side].packetsRead ?? 0)) / probed;
      // CPU per probe, in microseconds, of the libpcap prober's process and of the bare loop's (two runs a chunk).
      const proberCpu = (1000 * sum(chunks.map((c) => c.pcap.cpuMs))) / probed;
      const bareCpu = (1000 * sum(chunks.map((c) => c.bare.cpuMs + c['bare-after'].cpuMs))) / (2 * probed);
      const figures: Record<string, BenchFigure> = {
        'probe-rate': {
          value: probe,
          reference: bare,
          ratio: rateRatio,
          unit: 'probes/s',
          better: 'higher',
          goal: 'ratio >= 0.85 overall and >= 0.8 in every chunk',
          met: rateRatio >= 0.85 && worstChunk >= 0.8,
          note: `libpcap capture with a kernel BPF filter, delivered in blocks of ${captureBlockMsFromEnv()} ms; ${probed} targets each side in ${chunks.length} chunks of alternating order, concurrency ${CONCURRENCY}, each side one process kept for the run; per-chunk ratios: ${chunkRatios
            .map((r) => r.toFixed(2))
            .join(' ')}`,
        },
        'capture-completeness': {
          value: completeness,
          reference: 100,
          ratio: completeness / 100,
          unit: '%',
          better: 'higher',
          goal: '>= 99.9 %',
          met: completeness >= 99.9,
          note: `${captured} of ${completed} completed handshakes had their SYN-ACK; ${sum(chunks.map((c) => c.pcap.packetsRead ?? 0))} packets reached the capture, ${sum(chunks.map((c) => c.pcap.missed ?? 0))} claims missed, ${sum(chunks.map((c) => c.pcap.syncs ?? 0))} syncs`,
        },
        'capture-cpu-per-probe': {
          value: cpuPerProbe('pcap'),
          reference: cpuPerProbe('raw-socket'),
          ratio: ratioOf(cpuPerProbe('pcap'), cpuPerProbe('raw-socket'), 'lower'),
          unit: 'µs CPU/probe',
          better: 'lower',
          note: `capture CPU per probe: libpcap + BPF in ${captureBlockMsFromEnv()} ms blocks, handled in the prober's process (time in its packet handler; ${packetsPerProbe('pcap').toFixed(2)} packets/probe reach it) vs the raw socket's capture process (user + system; ${packetsPerProbe('raw-socket').toFixed(2)} packets/probe), same chunks`,
        },
        'prober-cpu-per-probe': {
          value: proberCpu,
          reference: bareCpu,
          ratio: ratioOf(proberCpu, bareCpu, 'lower'),
          unit: 'µs CPU/probe',
          better: 'lower',
          note: "the libpcap prober's whole process (connections, HTTP, capture, pairing, extraction) vs the bare loop's, same chunks: what a probe costs a core",
        },
        'raw-socket-probe-rate': {
          value: rawProbe,
          reference: bare,
          ratio: ratioOf(rawProbe, bare),
          unit: 'probes/s',
          better: 'higher',
          note: `the earlier raw-socket capture (OSFP_CAPTURE_METHOD=raw-socket) on the same chunks; per-chunk ratios: ${chunks
            .map((c, i) => (bareSeconds[i]! / c['raw-socket'].seconds).toFixed(2))
            .join(' ')}; completeness ${(
            (100 * sum(chunks.map((c) => c['raw-socket'].captured ?? 0))) /
            Math.max(1, sum(chunks.map((c) => c['raw-socket'].completed)))
          ).toFixed(2)} %`,
        },
        'bare-loop-noise': {
          value: bareSpreadWorst,
          reference: 1,
          ratio: bareSpreadWorst,
          unit: 'ratio',
          better: 'higher',
          note: `the bare loop's two runs of each chunk against each other (after / before), the noise floor of a per-chunk ratio on this machine; per chunk: ${bareSpread
            .map((r) => r.toFixed(2))
            .join(' ')}`,
        },
      };
      const undiciRate = undiciTargets / undici.seconds;
      const undiciReferenceRate = undiciTargets / undiciReference.seconds;
      figures['undici-probe-rate'] = {
        value: undiciRate,
        reference: undiciReferenceRate,
        ratio: ratioOf(undiciRate, undiciReferenceRate),
        unit: 'probes/s',
        better: 'higher',
        note: `undici, one Client per target (no sniffing) vs the bare loop, ${undici.completed} of ${undiciTargets} targets answered: why the hot path is node:net/node:tls`,
      };
      return figures;
    });
  },
};
