/**
 * The labelling half of the `internet` benchmark: the `labeler` benchmark at
 * internet round trips.
 * @osfp/labeler's `labelHosts` with its defaults against the seed's way (one
 * Nmap per host, 16 at once), same hosts, same Nmap options, one lab under
 * one network profile (`internet` unless OSFP_BENCH_PROFILE says otherwise),
 * Nmap run inside its scanner namespace. Coverage is the share of hosts
 * labelled `ok`: batching must not buy its speed with hosts left unlabelled.
 * Hosts are given as the collector gives them (the open port the probe
 * found, no closed port: the labeler's fallback closed port is used), and a
 * label is also checked against the lab's ground truth.
 *
 * Lab prefix: OSFP_BENCH_LAB_PREFIX (default osfpb) + "i".
 * OSFP_BENCH_INTERNET_WORKER_LABEL_TARGETS sets the hosts of the batched side
 * (default 2,048), OSFP_BENCH_INTERNET_LABEL_TARGETS the first of them that
 * per-host Nmap labels too (default 1,024; coverage is compared on those).
 *
 * Both sides run in their steady state: the batched side labels as a worker
 * does (asWorker), and its rate is also the projection's; per-host Nmap is a
 * pool of 16 that starts the next host as one ends. A single call on 256
 * hosts measured mostly its own start and end (16 Nmap processes starting
 * together, then waiting for the slowest). The batched side labels twice the
 * hosts so that its end (the last jobs' slowest batches, 20-60 s) weighs on
 * its rate about as little as per-host Nmap's end (one host, ~5 s) on its.
 */
import type { LabelFields } from '@osfp/dataset';
import { describeProfile, inNamespace, labTruth, type LabPlan, type LabProfile, type TruthRecord } from '@osfp/lab';
import { COLLECT_DEFAULTS, MIN_LABEL_BATCHES } from '@osfp/collector';
import { DEFAULT_TUNING, LABEL_DEFAULTS, labelHosts, NmapSlots, nmapPreflight } from '@osfp/labeler';
import type { LabelOptions, LabelTarget } from '@osfp/labeler';
import { ratioOf, type BenchFigure } from './benchmark.ts';
import { intFromEnv } from './bench-env.ts';
import { mixedLabHosts } from './lab-hosts.ts';
import { waitedChildrenCpuMs } from './process-cpu.ts';

/** The seed's way: one host per Nmap process, 16 processes at once. */
const PER_HOST_PROCESSES = 16;
const RATIO_GOAL = 4;

interface Run {
  readonly rate: number;
  readonly seconds: number;
  readonly labels: Map<string, LabelFields>;
  /** Wall seconds of each Nmap process (batch) of the run. */
  readonly batchSeconds: number[];
  /** Hosts in the run's largest Nmap batch. */
  readonly largestBatch: number;
  /** CPU seconds (user + system) of the run's Nmap processes, per host. */
  readonly nmapCpuPerHost: number;
}

/** Times `label`, which runs labelHosts (once or more) with `onBatch` passed on, over `count` hosts. */
async function timed(
  count: number,
  label: (onBatch: NonNullable<LabelOptions['onBatch']>) => Promise<Map<string, LabelFields>>,
): Promise<Run> {
  const batchSeconds: number[] = [];
  let largestBatch = 0;
  const started = performance.now();
  // Nmap runs as this process's child (`ip netns exec` execs it): waited for, its CPU is counted here.
  const nmapCpuBefore = waitedChildrenCpuMs();
  const labels = await label((report) => {
    batchSeconds.push(report.elapsedMs / 1000);
    largestBatch = Math.max(largestBatch, report.hosts);
  });
  const seconds = (performance.now() - started) / 1000;
  const nmapCpuPerHost = (waitedChildrenCpuMs() - nmapCpuBefore) / 1000 / count;
  return { rate: count / seconds, seconds, labels, batchSeconds, largestBatch, nmapCpuPerHost };
}

/** A collect run's batch: the hosts of one label job. */
const WORKER_JOB_HOSTS = COLLECT_DEFAULTS.batchSize;

/**
 * Labels `targets` as a worker of a long run does (worker/label-processor.ts):
 * jobs of WORKER_JOB_HOSTS hosts, MIN_LABEL_BATCHES at once through one
 * NmapSlots, each split for its share of the processes, the next job starting
 * as one finishes. One call instead would end with its slowest batch and its
 * retry pass while the other Nmap processes sit idle; a worker overlaps that
 * with its next job.
 */
function asWorker(
  targets: LabelTarget[],
  options: LabelOptions & { processes: number; sources: LabelOptions['sources'] },
): Promise<Run> {
  return timed(targets.length, async (onBatch) => {
    const jobs: LabelTarget[][] = [];
    for (let at = 0; at < targets.length; at += WORKER_JOB_HOSTS) jobs.push(targets.slice(at, at + WORKER_JOB_HOSTS));
    const { sources, ...perCall } = options;
    const slots = new NmapSlots(options.processes, sources ?? []);
    const spreadOver = Math.ceil(options.processes / MIN_LABEL_BATCHES);
    const labels = new Map<string, LabelFields>();
    let next = 0;
    const lane = async () => {
      for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) {
        for (const [ip, fields] of await labelHosts(job, { ...perCall, spreadOver, slots, onBatch }))
          labels.set(ip, fields);
      }
    };
    await Promise.all(Array.from({ length: MIN_LABEL_BATCHES }, lane));
    return labels;
  });
}

const pct = (n: number, of: number) => (of === 0 ? 0 : (100 * n) / of);

/** Over the hosts of `among` only: both sides' figures on the same hosts. */
function summary(run: Run, truth: Map<string, TruthRecord>, among: ReadonlySet<string>) {
  const labels = [...run.labels.entries()].filter(([ip]) => among.has(ip));
  const ok = labels.filter(([, f]) => f.label_status === 'ok');
  // Kernel personalities are this machine's Linux whatever they imitate: the family is what can be right there.
  const right = ok.filter(([ip, f]) => {
    const t = truth.get(ip);
    return t !== undefined && (t.source === 'emulated' ? f.label === t.class : f.os_family === t.family);
  }).length;
  const statuses: Record<string, number> = {};
  for (const [, f] of labels) statuses[f.label_status] = (statuses[f.label_status] ?? 0) + 1;
  return {
    ok: ok.length,
    coverage: pct(ok.length, labels.length),
    right: pct(right, ok.length),
    unreliable: labels.filter(([, f]) => f.nmap_unreliable === true).length,
    retried: labels.filter(([, f]) => (f.nmap_tries ?? 0) > 1).length,
    statuses: Object.entries(statuses)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
  };
}

export interface InternetLabelResult {
  readonly figures: Record<string, BenchFigure>;
  /** Hosts labelled per second as a worker labels (the ratio's batched side), the projection's rate. */
  readonly labelRate: number;
  /** How that rate was measured, for the projection's note. */
  readonly labelRateNote: string;
  /** Share of hosts labelled `ok` with the defaults, %. */
  readonly coverage: number;
}

/** Labels the lab's hosts under `profile` with the labeler's defaults and one Nmap per host (16 at once). */
export async function measureInternetLabels(
  plan: LabPlan,
  profile: LabProfile,
  signal: AbortSignal,
): Promise<InternetLabelResult> {
  if (process.getuid?.() !== 0)
    throw new Error('the internet benchmark needs root (lab namespaces and Nmap raw sockets): run it as root');
  const count = intFromEnv('OSFP_BENCH_INTERNET_LABEL_TARGETS', 1_024, 16, 8_000);
  const batchedCount = intFromEnv('OSFP_BENCH_INTERNET_WORKER_LABEL_TARGETS', Math.max(2_048, count), count, 16_000);
  const provenance = await nmapPreflight();
  const hosts = mixedLabHosts(plan, batchedCount);
  const wanted = new Set(hosts);
  const truth = new Map<string, TruthRecord>();
  for (const t of labTruth(plan)) if (wanted.has(t.ip)) truth.set(t.ip, t);
  const targets: LabelTarget[] = hosts.map((ip) => ({ ip, openPort: 80 }));
  const exec: LabelOptions['exec'] = (command, args) => inNamespace(plan.scannerNamespace, command, [...args]);
  // Tuning sweeps override the labeler's defaults; the figure is meant for the defaults.
  const processes = intFromEnv('OSFP_BENCH_LABEL_PROCESSES', LABEL_DEFAULTS.processes, 1, 64);
  // Unset: the labeler's default, which depends on the source addresses (one each: fuller batches).
  const batchSize = process.env['OSFP_BENCH_LABEL_BATCH']
    ? intFromEnv('OSFP_BENCH_LABEL_BATCH', 16, 1, 1024)
    : undefined;
  // As `collect --lab` runs it, each Nmap process from a source address of its own; the per-host reference
  // too, so that the ratio measures batching alone.
  const sources = plan.labelSources;
  const batched = await asWorker(targets, { exec, signal, processes, batchSize, sources });
  const perHost = await timed(count, (onBatch) =>
    labelHosts(targets.slice(0, count), {
      exec,
      signal,
      processes: PER_HOST_PROCESSES,
      batchSize: 1,
      sources,
      onBatch,
    }),
  );
  const batchedAgain = await asWorker(targets, { exec, signal, processes, batchSize, sources });
  const batchNote = `batches of up to ${Math.max(batched.largestBatch, batchedAgain.largestBatch)} hosts (${batchSize === undefined ? "the labeler's default" : 'OSFP_BENCH_LABEL_BATCH'})`;

  // Two batched runs around the per-host one: their mean evens out load drift and a cold first run.
  const rate = (batched.rate + batchedAgain.rate) / 2;
  const ratio = ratioOf(rate, perHost.rate);
  // Coverage and ground truth on the hosts both sides labelled; the batched side's further hosts only add to its rate.
  const common = new Set(hosts.slice(0, count));
  const [a, b, p] = [
    summary(batched, truth, common),
    summary(batchedAgain, truth, common),
    summary(perHost, truth, common),
  ];
  const coverage = (a.coverage + b.coverage) / 2;
  const firewalled = [...truth.values()].filter((t) => t.conditions?.firewalled).length;
  const batchTimes = (r: Run, processesOfSide: number) => {
    const sorted = [...r.batchSeconds].sort((x, y) => x - y);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(1);
    const busy = sorted.reduce((x, y) => x + y, 0);
    return `${sorted.length} Nmap runs, median ${at(0.5)} s, max ${at(1)} s, ${(r.labels.size / (busy / processesOfSide)).toFixed(1)} hosts/s with every process kept busy, Nmap CPU ${r.nmapCpuPerHost.toFixed(3)} s a host`;
  };
  const runs = (name: string, s: ReturnType<typeof summary>, r: Run, processesOfSide: number) =>
    `${name}: ${r.rate.toFixed(1)} hosts/s (${r.labels.size} hosts, ${r.seconds.toFixed(0)} s; ${batchTimes(r, processesOfSide)}), ok ${s.ok}/${common.size}, right ${s.right.toFixed(1)} % of ok, Nmap warned unreliable ${s.unreliable}, retried ${s.retried}, statuses ${s.statuses}`;
  // What Nmap's own CPU allows: once the cores are busy, the ratio cannot pass per-host's CPU per host over batched's.
  const nmapCpuBatched = (batched.nmapCpuPerHost + batchedAgain.nmapCpuPerHost) / 2;
  const cpuCeiling = `Nmap CPU a host: batched ${nmapCpuBatched.toFixed(3)} s, per-host ${perHost.nmapCpuPerHost.toFixed(3)} s (${ratioOf(perHost.nmapCpuPerHost, nmapCpuBatched).toFixed(2)}x: the ratio's ceiling where Nmap's CPU keeps both sides' cores busy)`;
  const tuning = `Nmap -T${DEFAULT_TUNING.timing} --max-os-tries ${DEFAULT_TUNING.maxOsTries} --host-timeout ${DEFAULT_TUNING.hostTimeoutMs} ms ${DEFAULT_TUNING.extraArgs.join(' ')}`;
  const figures = {
    'internet-label-rate': {
      value: rate,
      reference: perHost.rate,
      ratio,
      unit: 'hosts/s',
      better: 'higher',
      goal: `ratio >= ${RATIO_GOAL}x, coverage >= per-host's`,
      met: ratio >= RATIO_GOAL && coverage >= p.coverage,
      note: `${batchedCount} hosts (kernel personalities and emulated OSes, ${firewalled} firewalled) labelled as a worker does (jobs of ${WORKER_JOB_HOSTS} hosts, ${MIN_LABEL_BATCHES} at once through ${processes} shared Nmap processes, each job split over at least ${Math.ceil(processes / MIN_LABEL_BATCHES)} of them) in ${batchNote}, the first ${count} of them also one Nmap per host (${PER_HOST_PROCESSES} at once); each Nmap from its own source address (per-host too), ${tuning}; Nmap ${provenance.nmapVersion}; ok and right counted on the ${count} hosts of both sides; ${runs('batched', a, batched, processes)}; ${runs('per-host', p, perHost, PER_HOST_PROCESSES)}; ${runs('batched again', b, batchedAgain, processes)}; ${cpuCeiling}; profile ${describeProfile(profile)}`,
    },
    'internet-label-coverage': {
      value: coverage,
      reference: p.coverage,
      ratio: ratioOf(coverage, p.coverage),
      unit: '% labelled ok',
      better: 'higher',
      goal: ">= per-host's",
      met: coverage >= p.coverage,
      note: `batched ${a.coverage.toFixed(1)} % and ${b.coverage.toFixed(1)} % (mean of the two), per-host ${p.coverage.toFixed(1)} %; labels matching the lab's ground truth (class for emulated OSes, family for kernel personalities): batched ${a.right.toFixed(1)} %, per-host ${p.right.toFixed(1)} %`,
    },
  } satisfies Record<string, BenchFigure>;
  const labelRateNote = `${rate.toFixed(1)} hosts/s labelling as a worker does (the label ratio's batched side: ${batchedCount} hosts in jobs of ${WORKER_JOB_HOSTS}, ${MIN_LABEL_BATCHES} at once through ${processes} shared Nmap processes, ${coverage.toFixed(1)} % ok)`;
  return { figures, labelRate: rate, labelRateNote, coverage };
}
