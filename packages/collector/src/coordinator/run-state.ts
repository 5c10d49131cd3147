import type { Redis } from 'ioredis';
import type { DatasetStore, Provenance } from '@osfp/dataset';
import type { CollectOptions } from '../config/collect-options.ts';
import type { BatchOutcome } from './row-join.ts';
import type { BatchStageRecord } from '../queue/stage-records.ts';
import type { ProgressSnapshot } from './run-progress.ts';
import { etaFromStages, StageRateMeter, type StageDone, type StageName } from './stage-rates.ts';
import type { TargetIndex } from './target-index.ts';
import { emptyIngestCounts, type IngestCounts } from './target-ingest.ts';

/** Running counts of a run, as the progress display and the summary see them. */
export interface RunTotals {
  hosts: number;
  batches: number;
  /** Batches enqueued so far (the resume cursor). */
  enqueued: number;
  joined: number;
  probed: number;
  responsive: number;
  labelled: number;
  written: number;
  /** Probe and label jobs waiting or running, sampled from Redis. */
  probing: number;
  labelling: number;
}

/**
 * What the steps of one run share: the run's identity and options, the
 * resources opened for it, and the counts it has reached. One object passed
 * from step to step instead of state captured by closures.
 */
export class RunState {
  readonly ingest: IngestCounts = emptyIngestCounts();
  readonly totals: RunTotals = {
    hosts: 0,
    batches: 0,
    enqueued: 0,
    joined: 0,
    probed: 0,
    responsive: 0,
    labelled: 0,
    written: 0,
    probing: 0,
    labelling: 0,
  };
  phase: ProgressSnapshot['phase'] = 'reading targets';
  /** Batches written to the store, in this session or an earlier one. */
  readonly joined = new Set<number>();
  /** Set when a batch could not be written after its retries: the run stops. */
  joinFailure: string | null = null;
  /** Stage records of batches in flight, as last read from Redis (stage-records.ts). */
  inFlightStages: ReadonlyMap<number, BatchStageRecord> = new Map();
  private readonly meter = new StageRateMeter();
  private indexOpen = true;

  constructor(
    readonly runId: string,
    readonly options: CollectOptions,
    readonly dataset: string,
    readonly dataDir: string,
    readonly startedMs: number,
    readonly redisUrl: string,
    readonly redis: Redis,
    readonly store: DatasetStore,
    readonly index: TargetIndex,
    readonly provenance: Provenance,
  ) {}

  /**
   * Written batches count from their outcomes; batches in flight from the
   * records their workers left in Redis. A batch is counted once: its records
   * are ignored as soon as it is written, even before they are deleted.
   */
  private stageDone(): Record<StageName, StageDone> & { probed: number; responsive: number; labelled: number } {
    const { totals } = this;
    let probedBatches = 0;
    let labelledBatches = 0;
    let probed = 0;
    let responsive = 0;
    let labelled = 0;
    for (const [batchNo, record] of this.inFlightStages) {
      if (this.joined.has(batchNo)) continue;
      if (record.probe || record.label) probedBatches += 1;
      if (record.label) labelledBatches += 1;
      probed += record.probe?.probed ?? 0;
      responsive += record.probe?.responsive ?? 0;
      labelled += record.label?.labelled ?? 0;
    }
    return {
      probed: totals.probed + probed,
      responsive: totals.responsive + responsive,
      labelled: totals.labelled + labelled,
      probe: { batches: totals.joined + probedBatches, count: totals.probed + probed },
      label: { batches: totals.joined + labelledBatches, count: totals.labelled + labelled },
      write: { batches: totals.joined, count: totals.written },
    };
  }

  /** Starts this session's rates (when batches start flowing). */
  startRates(now = Date.now()): void {
    const { probe, label, write } = this.stageDone();
    this.meter.start(now, { probe, label, write });
  }

  snapshot(now = Date.now()): ProgressSnapshot {
    const { probe, label, write, probed, responsive, labelled } = this.stageDone();
    const done = { probe, label, write };
    this.meter.observe(now, done);
    const rates = this.meter.rates(now, done);
    return {
      runId: this.runId,
      dataset: this.dataset,
      phase: this.phase,
      ingest: this.ingest,
      ...this.totals,
      probed,
      responsive,
      labelled,
      stages: {
        probe: { ...probe, ...rates.probe },
        label: { ...label, ...rates.label },
        write: { ...write, ...rates.write },
      },
      eta: this.meter.started
        ? etaFromStages(this.totals.batches, done, rates)
        : { ms: null, stage: null, lowerBound: false },
      elapsedMs: now - this.startedMs,
      at: now,
    };
  }

  /** Adds a joined batch's counts (once per batch: the caller checks `joined`). */
  count(outcome: BatchOutcome): void {
    this.totals.joined += 1;
    this.totals.probed += outcome.probed;
    this.totals.responsive += outcome.rows;
    this.totals.written += outcome.rows;
    this.totals.labelled += (outcome.labelStatus.ok ?? 0) + (outcome.labelStatus['no-match'] ?? 0);
  }

  /** Batches enqueued and not yet written. */
  inFlight(): number {
    return this.totals.enqueued - [...this.joined].filter((b) => b < this.totals.enqueued).length;
  }

  /** Closes the target index early (its buffer pool is not needed for the version build); idempotent. */
  closeIndex(): void {
    if (this.indexOpen) this.index.close();
    this.indexOpen = false;
  }
}
