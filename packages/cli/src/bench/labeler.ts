/**
 * `labeler`: labelled hosts/s of @osfp/labeler (several Nmap processes over
 * small batches) vs the seed's way (one Nmap process per host, 16 at once),
 * same lab hosts, same Nmap options, Nmap run inside the lab's scanner
 * namespace. Also how often the two agree on the top-1 OS family, against
 * how often two batched runs agree with each other (Nmap's own noise: guesses
 * of equal accuracy come out in either order).
 *
 * Uses the lab with prefix `osfpb` (OSFP_BENCH_LAB_PREFIX overrides): brings
 * it up when it is not, and takes it down afterwards only if it brought it up.
 * OSFP_BENCH_LABEL_TARGETS sets hosts per personality (default 64).
 */
import type { LabelFields } from '@osfp/dataset';
import { inNamespace, ipToNumber, numberToIp } from '@osfp/lab';
import type { LabPlan } from '@osfp/lab';
import { LABEL_DEFAULTS, labelHosts, nmapPreflight } from '@osfp/labeler';
import type { LabelOptions, LabelTarget } from '@osfp/labeler';
import { withBenchLab } from './bench-lab.ts';
import { ratioOf } from './benchmark.ts';
import type { BenchFigure, Benchmark } from './benchmark.ts';

/** The seed's way: python-nmap, one host per Nmap process, 16 processes at once. */
const PER_HOST_PROCESSES = 16;
const RATE_GOAL = 12;
const RATIO_GOAL = 3.5;
const AGREEMENT_GOAL = 95;

/** `perPersonality` hosts of every personality, port 80 open, port 1 closed (nothing listens there). */
function benchTargets(plan: LabPlan, perPersonality: number): LabelTarget[] {
  return plan.personalities.flatMap((p) =>
    Array.from({ length: perPersonality }, (_, n) => ({
      ip: numberToIp(ipToNumber(p.firstHost) + n),
      openPort: 80,
      closedPort: 1,
    })),
  );
}

interface Run {
  readonly rate: number;
  readonly labels: Map<string, LabelFields>;
}

async function timedRun(targets: LabelTarget[], options: LabelOptions): Promise<Run> {
  const started = performance.now();
  const labels = await labelHosts(targets, options);
  return { rate: targets.length / ((performance.now() - started) / 1000), labels };
}

/** Percentage of hosts where `pick` gives the same non-null value in both runs. */
function agreement(a: Run, b: Run, pick: (f: LabelFields | undefined) => string | null): number {
  const ips = [...a.labels.keys()];
  const same = ips.filter((ip) => {
    const x = pick(a.labels.get(ip));
    return x !== null && x === pick(b.labels.get(ip));
  }).length;
  return ips.length === 0 ? 0 : (100 * same) / ips.length;
}

const family = (f: LabelFields | undefined) => f?.os_family ?? null;
const labelClass = (f: LabelFields | undefined) => f?.label ?? null;
const okCount = (r: Run) => [...r.labels.values()].filter((f) => f.label_status === 'ok').length;

export const labelerBenchmark: Benchmark = {
  name: 'labeler',
  description: `labelled hosts/s: ${LABEL_DEFAULTS.processes} Nmap processes x ${LABEL_DEFAULTS.batchSize} hosts vs one Nmap per host (${PER_HOST_PROCESSES} at once), lab scanner namespace`,
  async run(signal) {
    if (process.getuid?.() !== 0)
      throw new Error('the labeler benchmark needs root (lab namespaces and Nmap raw sockets): run it as root');
    const perPersonality = Number(process.env['OSFP_BENCH_LABEL_TARGETS'] ?? 64);
    if (!Number.isInteger(perPersonality) || perPersonality < 4 || perPersonality > 4_000) {
      throw new Error(
        `OSFP_BENCH_LABEL_TARGETS must be an integer in 4..4000 (hosts per personality), got ${process.env['OSFP_BENCH_LABEL_TARGETS']}`,
      );
    }
    const provenance = await nmapPreflight();
    return withBenchLab(async (plan) => {
      const targets = benchTargets(plan, perPersonality);
      const exec: LabelOptions['exec'] = (command, args) => inNamespace(plan.scannerNamespace, command, [...args]);
      // As `collect --lab` runs it, each Nmap process from a source address of its own; the per-host reference
      // too, so that the ratio measures batching alone.
      const sources = plan.labelSources;
      const batched = await timedRun(targets, { exec, signal, sources });
      const perHost = await timedRun(targets, { exec, signal, processes: PER_HOST_PROCESSES, batchSize: 1, sources });
      const batchedAgain = await timedRun(targets, { exec, signal, sources });

      // Two batched runs around the per-host one: their mean evens out a cold first run (ARP, caches).
      const batchedRate = (batched.rate + batchedAgain.rate) / 2;
      const ratio = ratioOf(batchedRate, perHost.rate);
      const familyAgreement = agreement(batched, perHost, family);
      const noise = agreement(batched, batchedAgain, family);
      const runs = `labelled ok: batched ${okCount(batched)}/${targets.length}, per-host ${okCount(perHost)}/${targets.length}, batched again ${okCount(batchedAgain)}/${targets.length}`;
      const figures: Record<string, BenchFigure> = {
        'label-rate': {
          value: batchedRate,
          reference: perHost.rate,
          ratio,
          unit: 'hosts/s',
          better: 'higher',
          goal: `>= ${RATE_GOAL} hosts/s and >= ${RATIO_GOAL}x`,
          met: batchedRate >= RATE_GOAL && ratio >= RATIO_GOAL,
          note: `${targets.length} lab hosts (${perPersonality} per personality); mean of two batched runs (${batched.rate.toFixed(1)}, ${batchedAgain.rate.toFixed(1)} hosts/s), each Nmap process from its own source address (per-host too); Nmap ${provenance.nmapVersion}`,
        },
        'label-agreement': {
          value: familyAgreement,
          reference: noise,
          ratio: ratioOf(familyAgreement, noise),
          unit: '% same top-1 family',
          better: 'higher',
          goal: `>= ${AGREEMENT_GOAL} % batched vs per-host`,
          met: familyAgreement >= AGREEMENT_GOAL,
          note:
            `reference: two batched runs vs each other. Same taxonomy class: batched vs per-host ` +
            `${agreement(batched, perHost, labelClass).toFixed(1)} %, batched vs batched ${agreement(batched, batchedAgain, labelClass).toFixed(1)} %. ${runs}`,
        },
      };
      return figures;
    });
  },
};
