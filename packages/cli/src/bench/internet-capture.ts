/**
 * The capture half of the `internet` benchmark: the `capture` benchmark at
 * internet round trips. Both
 * sides, the collector's prober with SYN-ACK sniffing and the bare node:net
 * loop, run in one lab under the same network profile (`internet` unless
 * OSFP_BENCH_PROFILE says otherwise), at the collector's default concurrency
 * and probe timeout, over the same hosts (kernel personalities behind their
 * path bridges and emulated OSes), chunk by chunk in alternating order.
 *
 * Also what the path bridges cost and whether they keep up: after the
 * probes, the scanner sends datagrams to kernel-personality hosts as fast as
 * it can; the bridges' counters say how many they read and their CPU time
 * what a frame costs, against the frames per second the free lab's capture
 * bench would ask of them.
 *
 * Lab prefix: OSFP_BENCH_LAB_PREFIX (default osfpb) + "i". Hosts:
 * OSFP_BENCH_INTERNET_TARGETS (default 4,000); OSFP_BENCH_INTERNET_CONCURRENCY
 * overrides the concurrency (tuning sweeps).
 */
import { fileURLToPath } from 'node:url';
import { COLLECT_DEFAULTS } from '@osfp/collector';
import {
  describeProfile,
  ipToNumber,
  numberToIp,
  pathBridgeReports,
  type LabPlan,
  type LabProfile,
  type PathBridgeReport,
} from '@osfp/lab';
import { ratioOf, type BenchFigure } from './benchmark.ts';
import { intFromEnv } from './bench-env.ts';
import { runJsonInNamespace } from './bench-lab.ts';
import { mixedLabHosts } from './lab-hosts.ts';

const inLabScript = fileURLToPath(new URL('./capture-in-lab.main.ts', import.meta.url));
const blastScript = fileURLToPath(new URL('./bridge-blast-in-lab.main.ts', import.meta.url));

interface InLabReport {
  chunks: {
    targets: number;
    bare: { bareSeconds: number; bareOk: number };
    pcap: {
      seconds: number;
      completed: number;
      captured: number;
      packetsRead: number;
      captureCpuMs: number;
      missed: number;
      syncs: number;
    };
  }[];
  /** Untimed probes both sides made before their chunks (through the same bridges). */
  warmUpProbes: number;
}

interface BlastReport {
  sent: number;
  failed: number;
  seconds: number;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** The free lab's capture bench at its recorded rate (docs/benchmarks.md#capture): what the bridges must keep up with. */
const FREE_LAB_CAPTURE_RATE = 2_434;
/** Datagrams of the throughput blast: a few seconds of the bridges' best. */
const BLAST_PACKETS = 60_000;

function bridgeDelta(before: PathBridgeReport[], after: PathBridgeReport[]) {
  let frames = 0;
  let fromLan = 0;
  let cpuUs = 0;
  let cpuUserUs = 0;
  let sendErrors = 0;
  let lost = 0;
  for (const a of after) {
    const b = before.find((x) => x.pid === a.pid);
    frames += a.bridge.fromLan + a.bridge.fromHosts - ((b?.bridge.fromLan ?? 0) + (b?.bridge.fromHosts ?? 0));
    fromLan += a.bridge.fromLan - (b?.bridge.fromLan ?? 0);
    cpuUs += a.cpuUs - (b?.cpuUs ?? 0);
    cpuUserUs += a.cpuUserUs - (b?.cpuUserUs ?? 0);
    sendErrors += a.sendErrors - (b?.sendErrors ?? 0);
    lost += a.bridge.lost - (b?.bridge.lost ?? 0);
  }
  return { frames, fromLan, cpuUs, cpuUserUs, sendErrors, lost, bridges: after.length };
}

/** Waits until the path bridges hold no frame (the blast's last ones are delivered), at most a few seconds. */
async function waitForDelayLines(prefix: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if ((await pathBridgeReports({ prefix })).every((r) => r.bridge.waiting === 0)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface InternetCaptureResult {
  readonly figures: Record<string, BenchFigure>;
  /** The collector's probes/s (with sniffing) on this machine, the projection's per-worker probe rate. */
  readonly probeRate: number;
}

/** Probes the lab's hosts under `profile` with the collector's prober and with the bare loop, then blasts the path bridges. */
export async function measureInternetCapture(
  plan: LabPlan,
  profile: LabProfile,
  signal: AbortSignal,
): Promise<InternetCaptureResult> {
  const count = intFromEnv('OSFP_BENCH_INTERNET_TARGETS', 4_000, 100, 60_000);
  const concurrency = intFromEnv('OSFP_BENCH_INTERNET_CONCURRENCY', COLLECT_DEFAULTS.concurrency, 1, 20_000);
  const timeoutMs = COLLECT_DEFAULTS.timeoutMs;
  const targets = mixedLabHosts(plan, count).map((ip) => ({ ip, port: 80 }));
  const chunkSize = Math.max(4 * concurrency, 2_000);
  const before = await pathBridgeReports({ prefix: plan.prefix });
  const started = performance.now();
  const report = await runJsonInNamespace<InLabReport>(
    plan.scannerNamespace,
    inLabScript,
    {
      targets,
      concurrency,
      chunkSize,
      timeoutMs,
      sides: [
        { name: 'bare', kind: 'bare' },
        { name: 'pcap', kind: 'pcap' },
      ],
    },
    'internet capture bench',
    signal,
  );
  const seconds = (performance.now() - started) / 1000;
  const afterProbes = await pathBridgeReports({ prefix: plan.prefix });
  const bridges = bridgeDelta(before, afterProbes);
  // Then as many frames as the scanner can send at once, to kernel-personality hosts: what the bridges
  // carry at their best, and whether every frame got to them.
  const blastHosts = plan.personalities.flatMap((p) =>
    Array.from({ length: 250 }, (_, n) => numberToIp(ipToNumber(p.firstHost) + n)),
  );
  const blast = await runJsonInNamespace<BlastReport>(
    plan.scannerNamespace,
    blastScript,
    { hosts: blastHosts, packets: BLAST_PACKETS, inFlight: 256 },
    'path-bridge blast',
    signal,
  );
  await waitForDelayLines(plan.prefix);
  const blasted = bridgeDelta(afterProbes, await pathBridgeReports({ prefix: plan.prefix }));
  const chunks = report.chunks.map((c) => ({
    targets: c.targets,
    ...c.bare,
    proberSeconds: c.pcap.seconds,
    ...c.pcap,
  }));
  const probed = sum(chunks.map((c) => c.targets));
  const bare = probed / sum(chunks.map((c) => c.bareSeconds));
  const probe = probed / sum(chunks.map((c) => c.proberSeconds));
  const completed = sum(chunks.map((c) => c.completed));
  const captured = sum(chunks.map((c) => c.captured));
  const completeness = completed === 0 ? 0 : (100 * captured) / completed;
  const rateRatio = ratioOf(probe, bare);
  const conditions = `profile ${describeProfile(profile)}`;
  const usPerFrame = bridges.frames === 0 ? 0 : bridges.cpuUs / bridges.frames;
  const demand = bridges.frames / seconds;
  // Frames per probe through a bridge: the kernel personalities' share of the run's probes, warm-ups included
  // (4 of 13 kinds of host).
  const kernelProbes =
    ((2 * probed + report.warmUpProbes) * plan.personalities.length) / (plan.personalities.length + 9);
  const framesPerProbe = kernelProbes === 0 ? 0 : bridges.frames / kernelProbes;
  const freeLabDemand = FREE_LAB_CAPTURE_RATE * framesPerProbe;
  const carried = blasted.fromLan / blast.seconds;
  const blastUsPerFrame = blasted.frames === 0 ? 0 : blasted.cpuUs / blasted.frames;
  const perCore = blastUsPerFrame === 0 ? 0 : 1e6 / blastUsPerFrame;
  const allArrived = blasted.fromLan >= 0.999 * blast.sent;
  const figures = {
    'internet-probe-rate': {
      value: probe,
      reference: bare,
      ratio: rateRatio,
      unit: 'probes/s',
      better: 'higher',
      goal: 'ratio >= 0.8',
      met: rateRatio >= 0.8,
      note: `${probed} targets each side (kernel personalities and emulated OSes) in ${chunks.length} chunks of alternating order, concurrency ${concurrency}, timeout ${timeoutMs} ms; per-chunk ratios ${chunks
        .map((c) => (c.bareSeconds / c.proberSeconds).toFixed(2))
        .join(
          ' ',
        )}; completed handshakes: bare ${sum(chunks.map((c) => c.bareOk))}, prober ${completed}; ${conditions}`,
    },
    'internet-capture-completeness': {
      value: completeness,
      reference: 100,
      ratio: completeness / 100,
      unit: '%',
      better: 'higher',
      goal: '>= 99.9 %',
      met: completeness >= 99.9,
      note: `${captured} of ${completed} completed handshakes had their SYN-ACK; ${sum(chunks.map((c) => c.packetsRead))} packets read by the capture, ${sum(chunks.map((c) => c.missed))} claims missed, ${sum(chunks.map((c) => c.syncs))} syncs`,
    },
    'internet-path-bridge': {
      value: perCore,
      reference: freeLabDemand,
      ratio: ratioOf(perCore, freeLabDemand),
      unit: 'frames/s per core',
      better: 'higher',
      goal: "one core carries the free lab's capture rate; no frame of the blast lost",
      met: perCore >= freeLabDemand && allArrived && blasted.sendErrors === 0,
      note: `blast: the scanner sent ${blast.sent} datagrams in ${blast.seconds.toFixed(2)} s (${(blast.sent / blast.seconds).toFixed(0)}/s) to ${blastHosts.length} kernel-personality hosts; the ${blasted.bridges} bridges read ${blasted.fromLan} of them (${allArrived ? 'all' : 'NOT all'}, ${carried.toFixed(0)}/s) and ${blasted.frames - blasted.fromLan} answers, ${blastUsPerFrame.toFixed(1)} µs of CPU a frame (${(blasted.cpuUserUs / Math.max(1, blasted.frames)).toFixed(1)} µs user; system time holds the receiving kernel's work on each frame written), ${blasted.sendErrors} send errors (a lower bound when the scanner, not the bridges, was the limit). Reference: the free lab's capture rate (${FREE_LAB_CAPTURE_RATE} probes/s) x ${framesPerProbe.toFixed(1)} frames per kernel-host probe measured here. During the probes: ${bridges.frames} frames in ${seconds.toFixed(0)} s (${demand.toFixed(0)}/s), ${usPerFrame.toFixed(1)} µs of CPU a frame at that rate (mostly waking up for each frame), ${bridges.sendErrors} send errors, ${bridges.lost} dropped by the profile`,
    },
  } satisfies Record<string, BenchFigure>;
  return { figures, probeRate: probe };
}
