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
 */
import type { LabelFields } from '@osfp/dataset';
import { describeProfile, inNamespace, labTruth, type LabPlan, type LabProfile, type TruthRecord } from '@osfp/lab';
import { DEFAULT_TUNING, LABEL_DEFAULTS, labelHosts, nmapPreflight } from '@osfp/labeler';
import type { LabelOptions, LabelTarget } from '@osfp/labeler';
import { ratioOf, type BenchFigure } from './benchmark.ts';
import { intFromEnv } from './bench-env.ts';
import { mixedLabHosts } from './lab-hosts.ts';

/** The seed's way: one host per Nmap process, 16 processes at once. */
const PER_HOST_PROCESSES = 16;
const RATIO_GOAL = 4;

interface Run {
  readonly rate: number;
  readonly seconds: number;
  readonly labels: Map<string, LabelFields>;
}

async function timedRun(targets: LabelTarget[], options: LabelOptions): Promise<Run> {
  const started = performance.now();
  const labels = await labelHosts(targets, options);
  const seconds = (performance.now() - started) / 1000;
  return { rate: targets.length / seconds, seconds, labels };
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
  /** Hosts labelled per second with the labeler's defaults on this machine, the projection's per-worker label rate. */
  readonly labelRate: number;
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
  const batched = await timedRun(targets, { exec, signal, processes, batchSize });
  const perHost = await timedRun(targets, { exec, signal, processes: PER_HOST_PROCESSES, batchSize: 1 });
  const batchedAgain = await timedRun(targets, { exec, signal, processes, batchSize });

  // Two batched runs around the per-host one: their mean evens out load drift and a cold first run.
  const rate = (batched.rate + batchedAgain.rate) / 2;
  const ratio = ratioOf(rate, perHost.rate);
  const [a, b, p] = [summary(batched, truth), summary(batchedAgain, truth), summary(perHost, truth)];
  const coverage = (a.coverage + b.coverage) / 2;
  const firewalled = [...truth.values()].filter((t) => t.conditions?.firewalled).length;
  const runs = (name: string, s: ReturnType<typeof summary>, r: Run) =>
    `${name}: ${r.rate.toFixed(1)} hosts/s (${r.seconds.toFixed(0)} s), ok ${s.ok}/${count}, right ${s.right.toFixed(1)} % of ok, Nmap warned unreliable ${s.unreliable}, retried ${s.retried}, statuses ${s.statuses}`;
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
      note: `${count} hosts (kernel personalities and emulated OSes, ${firewalled} firewalled), ${processes} Nmap processes x ${batchSize} hosts, ${tuning}; Nmap ${provenance.nmapVersion}; ${runs('batched', a, batched)}; ${runs('per-host', p, perHost)}; ${runs('batched again', b, batchedAgain)}; profile ${describeProfile(profile)}`,
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
  return { figures, labelRate: rate, coverage };
}
