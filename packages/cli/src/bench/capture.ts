/**
 * `capture`: collector probes/s with SYN-ACK sniffing ÷ a bare node:net loop
 * (one fresh connection + GET per target, no sniffing), and the share of
 * completed handshakes whose SYN-ACK was captured - one run, same lab
 * targets, everything inside the lab's scanner namespace. Also measures
 * undici (one Client per target) against the same bare loop: the figure
 * behind the choice of node:net for the hot path (docs/benchmarks.md#capture).
 *
 * Uses the lab with prefix `osfpb` (OSFP_BENCH_LAB_PREFIX overrides): brings
 * it up when it is not, and takes it down afterwards only if it brought it up.
 * OSFP_BENCH_CAPTURE_TARGETS sets targets per personality (default 4,000).
 */
import { fileURLToPath } from 'node:url';
import { numberToIp, ipToNumber, type LabPlan } from '@osfp/lab';
import { ratioOf, type BenchFigure, type Benchmark } from './benchmark.ts';
import { runJsonInNamespace, withBenchLab } from './bench-lab.ts';

const inLabScript = fileURLToPath(new URL('./capture-in-lab.main.ts', import.meta.url));

interface InLabReport {
  chunks: {
    targets: number;
    bareSeconds: number;
    bareOk: number;
    proberSeconds: number;
    completed: number;
    captured: number;
    packetsRead: number;
    missed: number;
    syncs: number;
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
      const bare = probed / sum(chunks.map((c) => c.bareSeconds));
      const probe = probed / sum(chunks.map((c) => c.proberSeconds));
      const completed = sum(chunks.map((c) => c.completed));
      const captured = sum(chunks.map((c) => c.captured));
      const completeness = completed === 0 ? 0 : (100 * captured) / completed;
      const rateRatio = ratioOf(probe, bare);
      const figures: Record<string, BenchFigure> = {
        'probe-rate': {
          value: probe,
          reference: bare,
          ratio: rateRatio,
          unit: 'probes/s',
          better: 'higher',
          goal: 'ratio >= 0.6',
          met: rateRatio >= 0.6,
          note: `${probed} targets each side in ${chunks.length} chunks of alternating order, concurrency 256; per-chunk ratios: ${chunks
            .map((c) => (c.bareSeconds / c.proberSeconds).toFixed(2))
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
          note: `${captured} of ${completed} completed handshakes had their SYN-ACK; ${sum(chunks.map((c) => c.packetsRead))} TCP packets read by the capture process, ${sum(chunks.map((c) => c.missed))} claims missed, ${sum(chunks.map((c) => c.syncs))} syncs`,
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
