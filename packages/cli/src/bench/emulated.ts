/**
 * `emulated`: how fast the emulated OSes' userspace responders serve the
 * collector's prober (SYN-ACK sniffing on), against the kernel personalities
 * in the same run - the same in-lab script as `capture`, with two prober
 * sides on different targets, chunk by chunk in alternating order - and the
 * share of completed handshakes with an emulated host whose SYN-ACK was
 * captured.
 *
 * Uses the bench lab (see bench-lab.ts). OSFP_BENCH_EMULATED_TARGETS sets the
 * targets per side (default 6,000, spread over the default emulated OSes and
 * over the personalities).
 */
import { fileURLToPath } from 'node:url';
import { DEFAULT_EMULATED, emulatedHost, labStatus, personalityHost, type LabPlan } from '@osfp/lab';
import type { ProbeTarget } from '@osfp/collector';
import { ratioOf, type BenchFigure, type Benchmark } from './benchmark.ts';
import { runJsonInNamespace, withBenchLab } from './bench-lab.ts';

const inLabScript = fileURLToPath(new URL('./capture-in-lab.main.ts', import.meta.url));

/** What the in-lab script reports for one prober side of one chunk. */
interface ProberSide {
  seconds: number;
  succeeded: number;
  completed: number;
  captured: number;
  captureCpuMs: number;
  proberCpuMs: number;
  serverCpuMs: number;
}

interface InLabReport {
  chunks: { targets: number; kernel: ProberSide; emulated: ProberSide }[];
}

const GOAL_RATIO = 0.5;
const GOAL_RATE = 1_500;
const CHUNK = 2_000;
/**
 * Kernel hosts start past the ones the `capture` bench probes by default, so
 * the scanner's TIME_WAIT entries from that bench are not met again here.
 */
const KERNEL_FIRST_HOST = 8_000;

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** `count` targets on port 80, interleaved over the sources so the load spreads over every responder or server. */
function interleaved(count: number, sources: number, host: (source: number, n: number) => string): ProbeTarget[] {
  return Array.from({ length: count }, (_, i) => ({ ip: host(i % sources, Math.floor(i / sources)), port: 80 }));
}

function sideTargets(plan: LabPlan, count: number): { kernel: ProbeTarget[]; emulated: ProbeTarget[] } {
  const defaults = plan.emulated.filter((e) => DEFAULT_EMULATED.some((d) => d.slug === e.slug));
  return {
    kernel: interleaved(count, plan.personalities.length, (p, n) => personalityHost(p, KERNEL_FIRST_HOST + n)),
    emulated: interleaved(count, defaults.length, (o, n) => emulatedHost(defaults[o]!.index, n)),
  };
}

/** Pids of the lab's live processes whose name passes `pick` (`emu-<slug>` responders, `server-<personality>`). */
async function labPids(plan: LabPlan, pick: (name: string) => boolean): Promise<number[]> {
  const { processes } = await labStatus({ prefix: plan.prefix });
  return processes.filter((p) => p.alive && pick(p.name)).map((p) => p.pid);
}

function targetCount(): number {
  const raw = process.env['OSFP_BENCH_EMULATED_TARGETS'] ?? '6000';
  const count = Number(raw);
  const max = DEFAULT_EMULATED.length * 1_022;
  if (!Number.isInteger(count) || count < 10 || count > max) {
    throw new Error(`OSFP_BENCH_EMULATED_TARGETS must be an integer in 10..${max} (targets per side), got ${raw}`);
  }
  return count;
}

export const emulatedBenchmark: Benchmark = {
  name: 'emulated',
  description:
    "prober's probes/s against the emulated OSes' responders vs the kernel personalities, and emulated SYN-ACK capture (lab scanner namespace)",
  async run(signal) {
    const count = targetCount();
    return withBenchLab(async (plan) => {
      const { kernel, emulated } = sideTargets(plan, count);
      const { chunks } = await runJsonInNamespace<InLabReport>(
        plan.scannerNamespace,
        inLabScript,
        {
          targets: [],
          sides: [
            {
              name: 'kernel',
              kind: 'pcap',
              targets: kernel,
              serverPids: await labPids(plan, (n) => plan.personalities.some((p) => n === `server-${p.name}`)),
            },
            {
              name: 'emulated',
              kind: 'pcap',
              targets: emulated,
              serverPids: await labPids(plan, (n) => n.startsWith('emu-')),
            },
          ],
          concurrency: 256,
          chunkSize: CHUNK,
          timeoutMs: 5_000,
        },
        'emulated bench',
        signal,
      );
      const probed = sum(chunks.map((c) => c.targets));
      const perProbeUs = (side: 'kernel' | 'emulated', what: 'proberCpuMs' | 'captureCpuMs' | 'serverCpuMs') =>
        ((1000 * sum(chunks.map((c) => c[side][what]))) / probed).toFixed(0);
      const rateOf = (side: 'kernel' | 'emulated') => probed / sum(chunks.map((c) => c[side].seconds));
      const value = rateOf('emulated');
      const reference = rateOf('kernel');
      const ratio = ratioOf(value, reference);
      const chunkRates = (side: 'kernel' | 'emulated') =>
        chunks.map((c) => (c.targets / c[side].seconds).toFixed(0)).join(' ');
      const completed = sum(chunks.map((c) => c.emulated.completed));
      const captured = sum(chunks.map((c) => c.emulated.captured));
      const succeeded = sum(chunks.map((c) => c.emulated.succeeded));
      const completeness = completed === 0 ? 0 : (100 * captured) / completed;
      const figures: Record<string, BenchFigure> = {
        'emulated-probe-rate': {
          value,
          reference,
          ratio,
          unit: 'probes/s',
          better: 'higher',
          goal: `ratio >= ${GOAL_RATIO} and >= ${GOAL_RATE} probes/s`,
          met: ratio >= GOAL_RATIO && value >= GOAL_RATE,
          note: `osfp's prober (libpcap capture) on ${probed} emulated hosts of ${DEFAULT_EMULATED.length} OSes vs ${probed} kernel-personality hosts, ${chunks.length} chunks of alternating order, concurrency 256; per-chunk probes/s emulated ${chunkRates('emulated')}, kernel ${chunkRates('kernel')}; ${succeeded} of ${probed} emulated exchanges succeeded; CPU per probe: responders ${perProbeUs('emulated', 'serverCpuMs')} µs (kernel personalities' HTTP servers ${perProbeUs('kernel', 'serverCpuMs')} µs, their TCP in the kernel uncounted), prober ${perProbeUs('emulated', 'proberCpuMs')} µs (${perProbeUs('kernel', 'proberCpuMs')} µs on kernel hosts), its capture ${perProbeUs('emulated', 'captureCpuMs')} µs`,
        },
        'emulated-capture-completeness': {
          value: completeness,
          reference: 100,
          ratio: completeness / 100,
          unit: '%',
          better: 'higher',
          goal: '>= 99.9 %',
          met: completeness >= 99.9,
          note: `${captured} of ${completed} completed handshakes with emulated hosts had their SYN-ACK captured`,
        },
      };
      return figures;
    });
  },
};
