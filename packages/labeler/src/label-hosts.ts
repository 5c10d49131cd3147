/**
 * labelHosts: Nmap OS detection over many hosts, as several Nmap processes
 * over batches, each host's guesses turned into label columns.
 */
import { setMaxListeners } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unlabelledFields, type LabelFields } from '@osfp/dataset';
import { planBatches, validateTargets } from './batch-plan.ts';
import type { BatchSize, LabelTarget, NmapBatch } from './batch-plan.ts';
import { labelFromMatches } from './label-fields.ts';
import { labelQuality, looksFirewalled } from './label-quality.ts';
import { parseNormalOutput, type NormalOutputSignals } from './nmap-normal-output.ts';
import { guessesToJson } from './nmap-result.ts';
import type { NmapHostResult } from './nmap-result.ts';
import { DEFAULT_TUNING, nmapArgs, nmapInput } from './nmap-command.ts';
import type { NmapTuning } from './nmap-command.ts';
import { runNmap } from './nmap-process.ts';
import { NmapSlots, type NmapSource } from './nmap-slots.ts';
import type { CommandWrapper, NmapRun } from './nmap-process.ts';
import { parseNmapXmlReport } from './nmap-xml.ts';
import { DEFAULT_TAXONOMY } from './taxonomy.ts';
import type { Taxonomy } from './taxonomy.ts';

export interface LabelOptions {
  /** Cancels the work: every running Nmap is killed and labelHosts rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Deadline of one Nmap process (one batch); hosts it had not finished get label_status "timeout". */
  readonly timeoutMs?: number | undefined;
  /** Nmap processes run at once. */
  readonly processes?: number | undefined;
  /**
   * Most hosts given to one Nmap process. Default: 32 where every process
   * sends from an address of its own (`sources`, or the `slots`' sources),
   * else 16; without such addresses keep it at 20 or below (see LABEL_DEFAULTS).
   */
  readonly batchSize?: number | undefined;
  readonly nmapPath?: string | undefined;
  readonly taxonomy?: Taxonomy | undefined;
  /** Wraps the Nmap command, e.g. to run it inside a network namespace. */
  readonly exec?: CommandWrapper | undefined;
  /** Nmap options; defaults to DEFAULT_TUNING. */
  readonly tuning?: Partial<NmapTuning> | undefined;
  /**
   * Nmap processes shared with other labelHosts calls running at the same
   * time: each batch waits for a slot, so calls together never run more than
   * the slots allow (`processes` still bounds this call on its own).
   */
  readonly slots?: NmapSlots | undefined;
  /**
   * The fewest batches the hosts are split into, so that that many processes
   * have work (default: `processes`). A caller whose `slots` other calls keep
   * busy at the same time can give fewer, for fuller batches.
   */
  readonly spreadOver?: number | undefined;
  /**
   * Local addresses the Nmap processes send from, one each (see NmapSlots for
   * why); with `slots`, give them to the slots instead.
   */
  readonly sources?: readonly NmapSource[] | undefined;
  /** Told about every finished batch (for logs and benchmarks). */
  readonly onBatch?: ((report: BatchReport) => void) | undefined;
}

export interface BatchReport {
  readonly hosts: number;
  readonly labelled: number;
  /** Process id of the Nmap (or of its wrapper) that ran the batch. */
  readonly pid: number | undefined;
  readonly elapsedMs: number;
  readonly exitCode: number | null;
  readonly exitSignal: string | null;
  readonly stoppedBy: 'timeout' | 'abort' | null;
  /** Why hosts of this batch failed, when they did (Nmap's own message when it gave one). */
  readonly error: string | null;
  /** Nmap's stderr: warnings are normal and are not failures. */
  readonly stderr: string;
}

/**
 * Measured in the lab (256 hosts, 2 cores): 16 processes x 16 hosts labelled
 * 18 hosts/s with every host matched. Batches above 20 hosts are a trap for
 * processes that share an address: Nmap then widens its capture filter from
 * its own targets to everything sent to our address (osscan2.cc,
 * `doIndividual = Targets.size() <= 20`), and 4 x 64 hosts left 44 % of hosts
 * without any guess (2 x 128: 49 %). A process with an address of its own
 * sees only its own answers there, and a batch of 32 spreads the loading of
 * Nmap's OS database (about 0.4 s of CPU a process) over twice as many hosts:
 * 0.11 s of Nmap CPU a host against 0.13 s with 16 (internet profile, 2,048
 * hosts, coverage within a host of per-host Nmap's).
 */
export const LABEL_DEFAULTS = {
  processes: 16,
  batchSize: 16,
  /** The default batch when every Nmap process sends from an address of its own. */
  ownSourceBatchSize: 32,
  timeoutMs: 600_000,
  nmapPath: 'nmap',
} as const;

/**
 * Labels every target: the result has one entry per distinct input IP, with
 * label_status ok, no-match, failed or timeout. Rejects only on bad input or
 * when cancelled; a Nmap that crashes fails its own batch's hosts, not the call.
 */
export async function labelHosts(
  targets: LabelTarget[],
  options: LabelOptions = {},
): Promise<Map<string, LabelFields>> {
  validateTargets(targets);
  const processes = positiveInt(options.processes ?? LABEL_DEFAULTS.processes, 'processes');
  const givenBatchSize = options.batchSize === undefined ? undefined : positiveInt(options.batchSize, 'batchSize');
  const spreadOver = positiveInt(options.spreadOver ?? processes, 'spreadOver');
  const taxonomy = options.taxonomy ?? DEFAULT_TAXONOMY;
  const tuning: NmapTuning = { ...DEFAULT_TUNING, ...options.tuning };
  if (!Number.isInteger(tuning.noGuessRetries) || tuning.noGuessRetries < 0) {
    throw new Error(
      `labelHosts: tuning.noGuessRetries must be a non-negative integer, got ${String(tuning.noGuessRetries)}`,
    );
  }
  if (options.slots && options.sources?.length) {
    throw new Error('labelHosts: give the source addresses to the shared NmapSlots, not to each call');
  }
  // Without shared slots, this call's own: every Nmap process still gets a source address of its own.
  const slots = options.slots ?? new NmapSlots(processes, options.sources ?? []);
  const batchSize: BatchSize =
    givenBatchSize ??
    ((family) => (slots.hasSourceEach(family) ? LABEL_DEFAULTS.ownSourceBatchSize : LABEL_DEFAULTS.batchSize));
  const labels = new Map<string, LabelFields>();
  options.signal?.throwIfAborted();

  // One listener on the caller's signal, however many Nmap processes listen to ours.
  const cancel = new AbortController();
  setMaxListeners(processes + 1, cancel.signal);
  const forward = () => cancel.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', forward, { once: true });
  // Nmap's normal output goes to a file per batch here (stdout carries the XML); a wrapper such as
  // `ip netns exec` or `sudo` shares this filesystem. Without it the columns it feeds fall back to the XML.
  const outputDir = await mkdtemp(join(tmpdir(), 'osfp-nmap-'));
  const context: BatchContext = {
    tuning,
    taxonomy,
    slots,
    options: { ...options, signal: cancel.signal },
    labels,
    retry: new Set(),
    tries: new Map(),
    outputDir,
    batches: { next: 0 },
  };
  try {
    await runPass(planBatches(targets, batchSize, spreadOver, tuning.fallbackClosedPort), processes, context);
    // Second chance, in batches of their own, for hosts that answered but got no guess (see BatchContext.retry).
    for (let pass = 0; pass < tuning.noGuessRetries && context.retry.size > 0; pass++) {
      const again = targets.filter((t) => context.retry.has(t.ip));
      context.retry.clear();
      await runPass(planBatches(again, batchSize, spreadOver, tuning.fallbackClosedPort), processes, {
        ...context,
        retrying: true,
      });
    }
  } finally {
    options.signal?.removeEventListener('abort', forward);
    await rm(outputDir, { recursive: true, force: true });
  }
  return labels;
}

interface BatchContext {
  readonly tuning: NmapTuning;
  readonly taxonomy: Taxonomy;
  readonly slots: NmapSlots;
  readonly options: LabelOptions;
  readonly labels: Map<string, LabelFields>;
  /**
   * Hosts OS detection ran on (Nmap found their open port) without a single
   * guess. On a busy machine that is often answers Nmap missed rather than
   * an unknown stack (lab, loaded machine: 13 of 256 hosts).
   */
  readonly retry: Set<string>;
  /** In a retry pass a host's earlier no-match stands unless the new scan does better. */
  readonly retrying?: boolean;
  /** Nmap scans each host has been in so far (the nmap_tries column). */
  readonly tries: Map<string, number>;
  /** Where each batch's normal output is written (a temp dir of this call). */
  readonly outputDir: string;
  readonly batches: { next: number };
}

/** Runs batches on `processes` Nmap processes at once; rejects (after every Nmap is dead) if cancelled or Nmap cannot start. */
async function runPass(batches: readonly NmapBatch[], processes: number, context: BatchContext): Promise<void> {
  const signal = context.options.signal;
  let next = 0;
  const worker = async () => {
    for (let batch = batches[next++]; batch !== undefined; batch = batches[next++]) {
      signal?.throwIfAborted();
      const report = await context.slots.run(batch.family, (source) => {
        // It may have waited for its slot while the run was cancelled.
        signal?.throwIfAborted();
        return labelBatch(batch, source, context);
      });
      context.options.onBatch?.(report);
    }
  };
  // allSettled, not all: on cancellation every worker must have seen its Nmap die before we return.
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(processes, batches.length) }, worker));
  signal?.throwIfAborted();
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
}

async function labelBatch(batch: NmapBatch, source: NmapSource | null, context: BatchContext): Promise<BatchReport> {
  const { tuning, taxonomy, options, labels, tries } = context;
  const normalOutput = join(context.outputDir, `batch-${context.batches.next++}.nmap`);
  const args = nmapArgs(batch, tuning, normalOutput, source);
  const run = await runNmap(options.nmapPath ?? LABEL_DEFAULTS.nmapPath, args, {
    input: nmapInput(batch),
    timeoutMs: options.timeoutMs ?? LABEL_DEFAULTS.timeoutMs,
    signal: options.signal,
    exec: options.exec,
  });
  const { hosts, error } = await readRun(run);
  const said = await readNormalOutput(normalOutput);
  const byIp = new Map(hosts.map((h) => [h.ip, h]));
  let labelled = 0;
  for (const target of batch.targets) {
    const host = byIp.get(target.ip);
    const tried = (tries.get(target.ip) ?? 0) + 1;
    tries.set(target.ip, tried);
    const fields = host
      ? hostLabel(host, taxonomy, said?.get(target.ip), tried)
      : { ...missingLabel(run), nmap_tries: tried };
    if (fields.label_status === 'ok') labelled++;
    // A firewalled host is not retried: it will be as silent the second time, at the same cost.
    if (host && fields.label_status === 'no-match' && mayAnswerAgain(host, target.openPort))
      context.retry.add(target.ip);
    if (context.retrying && fields.label_status !== 'ok') {
      const earlier = labels.get(target.ip);
      if (earlier) labels.set(target.ip, { ...earlier, nmap_tries: tried });
      continue;
    }
    labels.set(target.ip, fields);
  }
  return {
    hosts: batch.targets.length,
    labelled,
    pid: run.pid,
    elapsedMs: run.elapsedMs,
    exitCode: run.exitCode,
    exitSignal: run.exitSignal,
    stoppedBy: run.stoppedBy,
    error,
    stderr: run.stderr,
  };
}

/** Every complete host in Nmap's output, even when Nmap was stopped or crashed midway. */
async function readRun(run: NmapRun): Promise<{ hosts: NmapHostResult[]; error: string | null }> {
  const crashed = run.stoppedBy === null && (run.exitCode !== 0 || run.exitSignal !== null);
  const failure = crashed
    ? `Nmap exited with ${run.exitSignal ?? `code ${String(run.exitCode)}`}: ${lastLines(run.stderr)}`
    : null;
  if (!/<nmaprun[\s>]/.test(run.stdout)) {
    return {
      hosts: [],
      error: failure ?? (run.stoppedBy ? `Nmap stopped (${run.stoppedBy}) before any output` : 'Nmap wrote no XML'),
    };
  }
  const report = await parseNmapXmlReport(run.stdout);
  const nmapError =
    report.exit === 'error' ? `Nmap reported an error: ${report.errorMessage ?? lastLines(run.stderr)}` : null;
  return { hosts: report.hosts, error: failure ?? nmapError };
}

/**
 * Whether a second scan of a no-match host can do better: Nmap saw a TCP port
 * open (its OS probes or its port scan), or the probed port filtered - on a
 * lossy path its answers were lost, while the prober found that port open.
 */
function mayAnswerAgain(host: NmapHostResult, probedPort: number): boolean {
  const tcp = [...host.portsUsed, ...host.ports].filter((p) => p.proto === 'tcp');
  return tcp.some((p) => p.state === 'open' || (p.portid === probedPort && p.state === 'filtered'));
}

function hostLabel(
  host: NmapHostResult,
  taxonomy: Taxonomy,
  said: NormalOutputSignals | undefined,
  tries: number,
): LabelFields {
  const quality = labelQuality(host, said, tries);
  if (host.matches.length > 0) {
    const fields = labelFromMatches(host.matches, taxonomy);
    if (fields.label_status === 'ok' || !looksFirewalled(host)) return { ...fields, ...quality };
    return { ...fields, ...quality, label_status: 'firewalled' };
  }
  if (host.timedOut) return { ...unlabelledFields('timeout'), ...quality };
  return { ...unlabelledFields(looksFirewalled(host) ? 'firewalled' : 'no-match', guessesToJson([])), ...quality };
}

/** The batch's normal output, parsed; null when Nmap wrote none (it crashed, or a wrapper ran it elsewhere). */
async function readNormalOutput(path: string): Promise<Map<string, NormalOutputSignals> | null> {
  try {
    return parseNormalOutput(await readFile(path, 'utf8'));
  } catch {
    return null;
  } finally {
    await rm(path, { force: true });
  }
}

/** A host Nmap never reported on: its batch ran out of time, or Nmap died or refused. */
function missingLabel(run: NmapRun): LabelFields {
  return unlabelledFields(run.stoppedBy === 'timeout' ? 'timeout' : 'failed');
}

function lastLines(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.slice(-3).join(' | ') || '(no message on stderr)';
}

function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`labelHosts: ${name} must be a positive integer, got ${String(n)}`);
  return n;
}
