/**
 * `capture`: collector probes/s with SYN-ACK sniffing ÷ a bare node:net loop
 * (one fresh connection + GET per target, no sniffing), and the share of
 * completed handshakes whose SYN-ACK was captured - one run, same lab
 * targets, everything inside the lab's scanner namespace. The earlier
 * raw-socket capture runs on the same chunks, for the capture process's CPU
 * per probe beside the libpcap one's. Also measures
 * undici (one Client per target) against the same bare loop: the figure
 * behind the choice of node:net for the hot path (docs/benchmarks.md#capture).
 *
 * Uses the lab with prefix `osfpb` (OSFP_BENCH_LAB_PREFIX overrides): brings
 * it up when it is not, and takes it down afterwards only if it brought it up.
 * OSFP_BENCH_CAPTURE_TARGETS sets targets per personality (default 4,000).
 */
import { fileURLToPath } from 'node:url';
import { numberToIp, ipToNumber, type LabPlan } from '@osfp/lab';
import { captureBlockMsFromEnv } from '@osfp/collector';
import { ratioOf, type BenchFigure, type Benchmark } from './benchmark.ts';
import { runJsonInNamespace, withBenchLab } from './bench-lab.ts';

const inLabScript = fileURLToPath(new URL('./capture-in-lab.main.ts', import.meta.url));

interface ProberSide {
  seconds: number;
  completed: number;
  captured: number;
  packetsRead: number;
  captureCpuMs: number;
  missed: number;
  syncs: number;
}

interface InLabReport {
  chunks: {
    targets: number;
    bare: { bareSeconds: number; bareOk: number };
    'bare-after': { bareSeconds: number; bareOk: number };
    pcap: ProberSide;
    'raw-socket': ProberSide;
  }[];
  undiciRate: number | null;
  undiciReference: number | null;
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

function runInLab(plan: LabPlan, input: object, signal: AbortSignal): Promise<InLabReport> {
  return runJsonInNamespace<InLabReport>(plan.scannerNamespace, inLabScript, input, 'capture bench', signal);
}

export const captureBenchmark: Benchmark = {
  name: 'capture',
  description:
    'probes/s with SYN-ACK sniffing vs a bare node:net loop, and capture completeness (lab scanner namespace)',
  async run(signal) {
    const perPersonality = Number(process.env['OSFP_BENCH_CAPTURE_TARGETS'] ?? 4_000);
    if (!Number.isInteger(perPersonality) || perPersonality < 10 || perPersonality > 16_000) {
      throw new Error(
        `OSFP_BENCH_CAPTURE_TARGETS must be an integer in 10..16000 (targets per personality), got ${process.env['OSFP_BENCH_CAPTURE_TARGETS']}`,
      );
    }
    return withBenchLab(async (plan) => {
      const targets = benchTargets(plan, perPersonality);
      const report = await runInLab(
        plan,
        { targets, concurrency: 256, chunkSize: 2_000, timeoutMs: 5_000, undici: true },
        signal,
      );
      const { chunks } = report;
      const probed = sum(chunks.map((c) => c.targets));
      // The reference in each chunk: the mean of the bare loop's two runs, one each side of the libpcap prober's.
      const bareSeconds = chunks.map((c) => (c.bare.bareSeconds + c['bare-after'].bareSeconds) / 2);
      const bare = probed / sum(bareSeconds);
      // The bare loop against itself, same chunk, seconds apart: what a per-chunk ratio cannot be told from.
      const bareSpread = chunks.map((c) => c['bare-after'].bareSeconds / c.bare.bareSeconds);
      const bareSpreadWorst = Math.min(...bareSpread.map((r) => Math.min(r, 1 / r)));
      const rateOf = (side: 'pcap' | 'raw-socket') => probed / sum(chunks.map((c) => c[side].seconds));
      const probe = rateOf('pcap');
      const rawProbe = rateOf('raw-socket');
      const completed = sum(chunks.map((c) => c.pcap.completed));
      const captured = sum(chunks.map((c) => c.pcap.captured));
      const completeness = completed === 0 ? 0 : (100 * captured) / completed;
      const rateRatio = ratioOf(probe, bare);
      const chunkRatios = chunks.map((c, i) => bareSeconds[i]! / c.pcap.seconds);
      const worstChunk = Math.min(...chunkRatios);
      // Capture CPU per probe, in microseconds: libpcap's packet handling in the
      // prober's own event loop, against the raw socket's capture process.
      const cpuPerProbe = (side: 'pcap' | 'raw-socket') =>
        (1000 * sum(chunks.map((c) => c[side].captureCpuMs))) / probed;
      const packetsPerProbe = (side: 'pcap' | 'raw-socket') => sum(chunks.map((c) => c[side].packetsRead)) / probed;
      const figures: Record<string, BenchFigure> = {
        'probe-rate': {
          value: probe,
          reference: bare,
          ratio: rateRatio,
          unit: 'probes/s',
          better: 'higher',
          goal: 'ratio >= 0.85 overall and >= 0.8 in every chunk',
          met: rateRatio >= 0.85 && worstChunk >= 0.8,
          note: `libpcap capture with a kernel BPF filter, delivered in blocks of ${captureBlockMsFromEnv()} ms; ${probed} targets each side in ${chunks.length} chunks of alternating order, concurrency 256; per-chunk ratios: ${chunkRatios
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
          note: `${captured} of ${completed} completed handshakes had their SYN-ACK; ${sum(chunks.map((c) => c.pcap.packetsRead))} packets reached the capture, ${sum(chunks.map((c) => c.pcap.missed))} claims missed, ${sum(chunks.map((c) => c.pcap.syncs))} syncs`,
        },
        'capture-cpu-per-probe': {
          value: cpuPerProbe('pcap'),
          reference: cpuPerProbe('raw-socket'),
          ratio: ratioOf(cpuPerProbe('pcap'), cpuPerProbe('raw-socket'), 'lower'),
          unit: 'µs CPU/probe',
          better: 'lower',
          note: `capture CPU per probe: libpcap + BPF in ${captureBlockMsFromEnv()} ms blocks, handled in the prober's process (time in its packet handler; ${packetsPerProbe('pcap').toFixed(2)} packets/probe reach it) vs the raw socket's capture process (user + system; ${packetsPerProbe('raw-socket').toFixed(2)} packets/probe), same chunks`,
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
            (100 * sum(chunks.map((c) => c['raw-socket'].captured))) /
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
      if (report.undiciRate !== null && report.undiciReference !== null) {
        const ratio = ratioOf(report.undiciRate, report.undiciReference);
        figures['undici-probe-rate'] = {
          value: report.undiciRate,
          reference: report.undiciReference,
          ratio,
          unit: 'probes/s',
          better: 'higher',
          note: 'undici, one Client per target (no sniffing) vs the bare loop: why the hot path is node:net/node:tls',
        };
      }
      return figures;
    });
  },
};
