import type { Job } from 'bullmq';
import { unlabelledFields, type LabelFields } from '@osfp/dataset';
import { NmapSlots, type LabelTarget, type NmapSource } from '@osfp/labeler';
import type { LabelJobData, LabelJobResult, ProbeJobResult } from '../queue/job-payloads.ts';
import type { StageRecords } from '../queue/stage-records.ts';
import type { StageBodies } from './stage-bodies.ts';

export interface LabelProcessorOptions {
  /** Nmap processes, instead of the run's setting. */
  readonly processesOverride?: number | undefined;
  /** The worker's label source addresses, one per Nmap process at a time. */
  readonly sources?: readonly NmapSource[] | undefined;
  /** Label batches the worker runs at once (default 1): each is split for its share of the processes. */
  readonly batchesAtOnce?: number | undefined;
}

/**
 * The label stage of one batch: Nmap OS detection on the addresses that
 * answered the probe and that the coordinator asked to label, each told the
 * open port the probe found (and a closed one when the probe met one).
 * Batches labelled at the same time share one set of Nmap processes, each
 * sending from one of the worker's label source addresses when it has some.
 */
export class LabelProcessor {
  private slots: NmapSlots | null = null;

  constructor(
    private readonly stages: StageBodies,
    private readonly records: StageRecords,
    private readonly options: LabelProcessorOptions = {},
  ) {}

  async process(job: Job<LabelJobData>, signal?: AbortSignal): Promise<LabelJobResult> {
    const result = await this.label(job, signal);
    // Before the job completes: the coordinator counts the batch as labelled from this record (a retry overwrites it).
    const labelled = Object.values(result.labels).filter(
      (l) => l.label_status === 'ok' || l.label_status === 'no-match',
    ).length;
    await this.records.record(job.data.runId, job.data.batchNo, 'label', {
      labelled,
      probeFailed: result.probe === null,
      at: Date.now(),
    });
    return result;
  }

  private async label(job: Job<LabelJobData>, signal?: AbortSignal): Promise<LabelJobResult> {
    const children = Object.values(await job.getChildrenValues<ProbeJobResult>());
    const probe = children[0] ?? null;
    if (probe === null) return { probe: null, labels: {} };

    const wanted = new Set(job.data.labelIps);
    const targets = new Map<string, LabelTarget>();
    for (const record of probe.responsive) {
      if (!wanted.has(record.ip) || targets.has(record.ip)) continue;
      targets.set(record.ip, { ip: record.ip, openPort: record.port, closedPort: probe.closedPorts[record.ip] });
    }
    if (targets.size === 0) return { probe, labels: {} };

    const { settings } = job.data;
    const processes = this.options.processesOverride ?? settings.labelProcesses;
    // The run's setting (a worker may serve several runs, one after the other).
    if (this.slots) this.slots.processes = processes;
    else this.slots = new NmapSlots(processes, this.options.sources ?? []);
    // The other batches keep the shared processes busy: this one need not fill them all, and Nmap
    // then gets fuller batches (its OS database loaded once for more hosts).
    const spreadOver = Math.ceil(processes / (this.options.batchesAtOnce ?? 1));
    let labels: Map<string, LabelFields>;
    try {
      labels = await this.stages.labelHosts([...targets.values()], {
        signal,
        timeoutMs: settings.labelTimeoutMs,
        processes,
        spreadOver,
        slots: this.slots,
      });
    } catch (error) {
      // Retried while attempts remain; on the last one the batch's rows are kept, labelled "failed".
      if (job.attemptsMade + 1 < (job.opts.attempts ?? 1)) throw error;
      labels = new Map([...targets.keys()].map((ip) => [ip, unlabelledFields('failed')]));
    }
    return { probe, labels: Object.fromEntries(labels) };
  }
}
