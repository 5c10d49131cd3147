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
 * OSFP_BENCH_INTERNET_LABEL_TARGETS sets the number of hosts (default 256).
 *
 * The projection's label rate is measured apart, as a worker labels in a
 * long run (workerLikeRun): one call on 256 hosts ends with its slowest
 * batch and its retry pass, which a worker overlaps with its next batch.
 */
import type { LabelFields } from '@osfp/dataset';
import { describeProfile, inNamespace, labTruth, type LabPlan, type LabProfile, type TruthRecord } from '@osfp/lab';
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
  /** CPU seconds (user + system) of the run's Nmap processes, per host. */
  readonly nmapCpuPerHost: number;
}

async function timedRun(targets: LabelTarget[], options: LabelOptions): Promise<Run> {
  const batchSeconds: number[] = [];
  const started = performance.now();
  // Nmap runs as this process's child (`ip netns exec` execs it): waited for, its CPU is counted here.
  const nmapCpuBefore = waitedChildrenCpuMs();
  const labels = await labelHosts(targets, {
    ...options,
    onBatch: (report) => batchSeconds.push(report.elapsedMs / 1000),
  });
  const seconds = (performance.now() - started) / 1000;
  const nmapCpuPerHost = (waitedChildrenCpuMs() - nmapCpuBefore) / 1000 / targets.length;
  return { rate: targets.length / seconds, seconds, labels, batchSeconds, nmapCpuPerHost };
}

const pct = (n: number, of: number) => (of === 0 ? 0 : (100 * n) / of);

function summary(run: Run, truth: Map<string, TruthRecord>) {
  const labels = [...run.labels.entries()];
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
  /** Hosts labelled per second as a worker labels (WORKER_JOB_HOSTS-host jobs, two at once), the projection's rate. */
  readonly labelRate: number;
  /** How that rate was measured, for the projection's note. */
  readonly labelRateNote: string;
  /** Share of hosts labelled `ok` with the defaults, %. */
  readonly coverage: number;
}

/** A collect run's batch: the hosts of one label job. */
const WORKER_JOB_HOSTS = 256;
/** Label jobs a worker runs at once (worker-node.ts: MIN_LABEL_BATCHES). */
const WORKER_LABEL_JOBS = 2;

/**
 * Labelling as a worker of a long run does it: jobs of WORKER_JOB_HOSTS hosts,
 * two at once through one NmapSlots, the next job starting as one finishes -
 * the steady state a million targets see, where the one-call runs above wait
 * for their slowest batch. Other hosts than the ratio's (OSFP_BENCH_INTERNET_WORKER_LABEL_TARGETS, default 1,024).
 */
async function workerLikeRun(
  plan: LabPlan,
  exec: LabelOptions['exec'],
  signal: AbortSignal,
  processes: number,
  batchSize: number,
): Promise<{ rate: number; seconds: number; hosts: number; jobs: number; ok: number }> {
  const count = intFromEnv('OSFP_BENCH_INTERNET_WORKER_LABEL_TARGETS', 1_024, WORKER_JOB_HOSTS, 8_000);
  // Past the hosts of the ratio's runs, so no host is labelled twice in a row.
  const hosts = mixedLabHosts(plan, count + 256).slice(256);
  const jobs: LabelTarget[][] = [];
  for (let at = 0; at < hosts.length; at += WORKER_JOB_HOSTS) {
    jobs.push(hosts.slice(at, at + WORKER_JOB_HOSTS).map((ip) => ({ ip, openPort: 80 })));
  }
  const slots = new NmapSlots(processes, plan.labelSources);
  let next = 0;
  let ok = 0;
  const started = performance.now();
  const lane = async () => {
    for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) {
      const labels = await labelHosts(job, { exec, signal, processes, batchSize, slots });
      for (const fields of labels.values()) if (fields.label_status === 'ok') ok++;
    }
  };
  await Promise.all(Array.from({ length: WORKER_LABEL_JOBS }, lane));
  const seconds = (performance.now() - started) / 1000;
  return { rate: hosts.length / seconds, seconds, hosts: hosts.length, jobs: jobs.length, ok };
}

/** Labels the lab's hosts under `profile` with the labeler's defaults and one Nmap per host (16 at once). */
export async function measureInternetLabels(
  plan: LabPlan,
  profile: LabProfile,
  signal: AbortSignal,
): Promise<InternetLabelResult> {
  if (process.getuid?.() !== 0)
    throw new Error('the internet benchmark needs root (lab namespaces and Nmap raw sockets): run it as root');
  const count = intFromEnv('OSFP_BENCH_INTERNET_LABEL_TARGETS', 256, 16, 8_000);
  const provenance = await nmapPreflight();
  const hosts = mixedLabHosts(plan, count);
  const wanted = new Set(hosts);
  const truth = new Map<string, TruthRecord>();
  for (const t of labTruth(plan)) if (wanted.has(t.ip)) truth.set(t.ip, t);
  const targets: LabelTarget[] = hosts.map((ip) => ({ ip, openPort: 80 }));
  const exec: LabelOptions['exec'] = (command, args) => inNamespace(plan.scannerNamespace, command, [...args]);
  // Tuning sweeps override the labeler's defaults; the figure is meant for the defaults.
  const processes = intFromEnv('OSFP_BENCH_LABEL_PROCESSES', LABEL_DEFAULTS.processes, 1, 64);
  const batchSize = intFromEnv('OSFP_BENCH_LABEL_BATCH', LABEL_DEFAULTS.batchSize, 1, 1024);
  // As `collect --lab` runs it, each Nmap process from a source address of its own; the per-host reference
  // too, so that the ratio measures batching alone.
  const sources = plan.labelSources;
  const batched = await timedRun(targets, { exec, signal, processes, batchSize, sources });
  const perHost = await timedRun(targets, { exec, signal, processes: PER_HOST_PROCESSES, batchSize: 1, sources });
  const batchedAgain = await timedRun(targets, { exec, signal, processes, batchSize, sources });
  const asWorker = await workerLikeRun(plan, exec, signal, processes, batchSize);

  // Two batched runs around the per-host one: their mean evens out load drift and a cold first run.
  const rate = (batched.rate + batchedAgain.rate) / 2;
  const ratio = ratioOf(rate, perHost.rate);
  const [a, b, p] = [summary(batched, truth), summary(batchedAgain, truth), summary(perHost, truth)];
  const coverage = (a.coverage + b.coverage) / 2;
  const firewalled = [...truth.values()].filter((t) => t.conditions?.firewalled).length;
  const batchTimes = (r: Run) => {
    const sorted = [...r.batchSeconds].sort((x, y) => x - y);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(1);
    const busy = sorted.reduce((x, y) => x + y, 0);
    return `${sorted.length} Nmap runs, median ${at(0.5)} s, max ${at(1)} s, ${(count / (busy / processes)).toFixed(1)} hosts/s with every process kept busy, Nmap CPU ${r.nmapCpuPerHost.toFixed(3)} s a host`;
  };
  const runs = (name: string, s: ReturnType<typeof summary>, r: Run) =>
    `${name}: ${r.rate.toFixed(1)} hosts/s (${r.seconds.toFixed(0)} s; ${batchTimes(r)}), ok ${s.ok}/${count}, right ${s.right.toFixed(1)} % of ok, Nmap warned unreliable ${s.unreliable}, retried ${s.retried}, statuses ${s.statuses}`;
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
      note: `${count} hosts (kernel personalities and emulated OSes, ${firewalled} firewalled), ${processes} Nmap processes x ${batchSize} hosts, each from its own source address (per-host too), ${tuning}; Nmap ${provenance.nmapVersion}; ${runs('batched', a, batched)}; ${runs('per-host', p, perHost)}; ${runs('batched again', b, batchedAgain)}; ${cpuCeiling}; profile ${describeProfile(profile)}`,
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
  const labelRateNote = `${asWorker.rate.toFixed(1)} hosts/s labelling as a worker does (${asWorker.hosts} other hosts in ${asWorker.jobs} jobs of ${WORKER_JOB_HOSTS}, ${WORKER_LABEL_JOBS} at once through ${processes} shared Nmap processes: ${asWorker.seconds.toFixed(0)} s, ${pct(asWorker.ok, asWorker.hosts).toFixed(1)} % ok; one labelHosts call of ${count} hosts: ${rate.toFixed(1)} hosts/s)`;
  return { figures, labelRate: asWorker.rate, labelRateNote, coverage };
}
