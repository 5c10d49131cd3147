/**
 * `internet`: the figures that hold where users run osfp. One lab under one
 * network profile (`internet` unless OSFP_BENCH_PROFILE names another or a
 * file) for both sides of every figure:
 *
 * - `internet-probe-rate`, `internet-capture-completeness`,
 *   `internet-path-bridge` (internet-capture.ts);
 * - `internet-label-rate`, `internet-label-coverage` (internet-labeler.ts);
 * - `projection-1m`: hours for one million targets on 1, 10 and 25 workers,
 *   from the probe and label rates just measured (one worker = this machine)
 *   and the coordinator's CPU time per target, measured here with stand-in
 *   stages (coordinator-cpu-in-lab.main.ts).
 *
 * Lab prefix: OSFP_BENCH_LAB_PREFIX (default osfpb) + "i".
 * OSFP_BENCH_COORDINATOR_TARGETS sets the names of the coordinator run (default 20,000).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeProfile, labTargets, type LabPlan } from '@osfp/lab';
import type { BenchFigure, Benchmark } from './benchmark.ts';
import { intFromEnv } from './bench-env.ts';
import { benchProfile, runJsonInNamespace, withBenchLab } from './bench-lab.ts';
import { measureInternetCapture } from './internet-capture.ts';
import { measureInternetLabels } from './internet-labeler.ts';

const coordinatorScript = fileURLToPath(new URL('./coordinator-cpu-in-lab.main.ts', import.meta.url));

const TARGETS = 1_000_000;
const WORKER_COUNTS = [1, 10, 25] as const;
const GOAL_HOURS = 1;
const GOAL_WORKERS = 25;

interface CoordinatorReport {
  count: number;
  hosts: number;
  rows: number;
  cpuUs: number;
  seconds: number;
}

/** Coordinator CPU seconds per target, from a real collect run with stand-in stages. */
async function measureCoordinatorCpu(plan: LabPlan, signal: AbortSignal): Promise<CoordinatorReport> {
  const count = intFromEnv('OSFP_BENCH_COORDINATOR_TARGETS', 20_000, 1_000, 1_000_000);
  const dir = await mkdtemp(join(tmpdir(), 'osfp-bench-coordinator-'));
  try {
    const targets = join(dir, 'targets.csv');
    const out = createWriteStream(targets);
    for (const line of labTargets(count, 'tranco')) if (!out.write(`${line}\n`)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
    return await runJsonInNamespace<CoordinatorReport>(
      plan.scannerNamespace,
      coordinatorScript,
      { count, targets, dir, dnsServer: plan.dnsServer },
      'coordinator CPU run',
      signal,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Hours for TARGETS on `workers` workers. A worker probes and labels on the
 * same two cores, so a target costs it the sum of the two stages' times (no
 * overlap assumed); the coordinator is one Node process, so it caps the run
 * at one target per its CPU time per target, however many workers there are.
 */
function hoursFor(workers: number, probeRate: number, labelRate: number, coordinatorCpuS: number): number {
  const perWorker = 1 / (1 / probeRate + 1 / labelRate);
  const rate = Math.min(workers * perWorker, 1 / coordinatorCpuS);
  return TARGETS / rate / 3600;
}

export const internetBenchmark: Benchmark = {
  name: 'internet',
  description:
    'under a network profile (internet: 20-300 ms, loss, firewalls): probe rate and capture vs a bare loop, labelling vs one Nmap per host, and the hours for 1M targets',
  async run(signal) {
    const profile = benchProfile();
    return withBenchLab(
      async (plan) => {
        const capture = await measureInternetCapture(plan, profile, signal);
        const labels = await measureInternetLabels(plan, profile, signal);
        const coordinator = await measureCoordinatorCpu(plan, signal);
        const coordinatorCpuS = coordinator.cpuUs / 1e6 / coordinator.count;
        const hours = WORKER_COUNTS.map((w) => hoursFor(w, capture.probeRate, labels.labelRate, coordinatorCpuS));
        const atGoal = hoursFor(GOAL_WORKERS, capture.probeRate, labels.labelRate, coordinatorCpuS);
        const perWorker = 1 / (1 / capture.probeRate + 1 / labels.labelRate);
        const coordinatorCap = 1 / coordinatorCpuS;
        const workersForGoal = Math.ceil(Math.min(TARGETS / 3600 / GOAL_HOURS, coordinatorCap) / perWorker);
        const limit =
          atGoal <= GOAL_HOURS
            ? 'goal met'
            : TARGETS / 3600 / GOAL_HOURS > coordinatorCap
              ? `the coordinator: one process does at most ${coordinatorCap.toFixed(0)} targets/s, under the ${(TARGETS / 3600).toFixed(0)}/s an hour needs`
              : `labelling: ${labels.labelRate.toFixed(1)} hosts/s per worker against ${capture.probeRate.toFixed(0)} probes/s, so an hour needs ${workersForGoal} workers`;
        const projection: BenchFigure = {
          value: atGoal,
          reference: GOAL_HOURS,
          ratio: GOAL_HOURS / atGoal,
          unit: `hours for 1M targets on ${GOAL_WORKERS} workers`,
          better: 'lower',
          goal: `<= ${GOAL_HOURS} h on <= ${GOAL_WORKERS} two-core workers`,
          met: atGoal <= GOAL_HOURS,
          note: `${WORKER_COUNTS.map((w, i) => `${w} worker${w === 1 ? '' : 's'}: ${hours[i]!.toFixed(2)} h`).join(', ')}; what stands in the way: ${limit}. Assumptions: a worker is this 2-core machine (shared, so the rates err low); it probes at the ${capture.probeRate.toFixed(0)} probes/s measured above and labels at ${labels.labelRateNote}, one after the other on the same cores (${perWorker.toFixed(1)} targets/s a worker); every target answers and is labelled (label mode all: the most work); one address per target (no DNS sharing); the coordinator is one process at ${(coordinatorCpuS * 1e6).toFixed(0)} µs of CPU per target (${coordinator.count} lab names, ${coordinator.hosts} hosts, ${coordinator.rows} rows in ${coordinator.seconds.toFixed(0)} s with stand-in stages whose queue side counts too, so it errs high), which caps a run at ${coordinatorCap.toFixed(0)} targets/s; Redis and the network between machines are not the limit; profile ${describeProfile(profile)}`,
        };
        return { ...capture.figures, ...labels.figures, 'projection-1m': projection };
      },
      { profile },
    );
  },
};
