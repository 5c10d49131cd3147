import type { Job } from 'bullmq';
import type { ProbeStatus } from '@osfp/dataset';
import type { ProbeJobData, ProbeJobResult, ProbeRecord, RunSettings } from '../queue/job-payloads.ts';
import type { StageRecords } from '../queue/stage-records.ts';
import { ProbeRateLimit } from './probe-rate-limit.ts';
import type { StageBodies } from './stage-bodies.ts';

/**
 * The probe stage of one batch: every (address, port) probed once, through
 * the rate limit, the responsive ones returned with their SYN-ACK features.
 * One prober (and its sniffer) per worker and run settings, reused across batches.
 */
export class ProbeProcessor {
  private readonly probers = new Map<string, ReturnType<StageBodies['createProber']>>();

  constructor(
    private readonly stages: StageBodies,
    private readonly rateLimit: ProbeRateLimit,
    private readonly records: StageRecords,
    private readonly concurrencyOverride?: number,
  ) {}

  private prober(settings: RunSettings): ReturnType<StageBodies['createProber']> {
    const options = {
      timeoutMs: settings.timeoutMs,
      concurrency: this.concurrencyOverride ?? settings.concurrency,
      userAgent: settings.userAgent,
    };
    const key = JSON.stringify(options);
    let prober = this.probers.get(key);
    if (!prober) {
      prober = this.stages.createProber(options);
      prober.catch(() => this.probers.delete(key));
      this.probers.set(key, prober);
    }
    return prober;
  }

  async process(job: Job<ProbeJobData>, signal?: AbortSignal): Promise<ProbeJobResult> {
    const { runId, settings, targets } = job.data;
    const prober = await this.prober(settings);
    const responsive: ProbeRecord[] = [];
    const statusCounts: Partial<Record<ProbeStatus, number>> = {};
    const closedPorts: Record<string, number> = {};
    const chunk = ProbeRateLimit.chunkSize(settings.rate, targets.length);
    for (let start = 0; start < targets.length; start += chunk) {
      const slice = targets.slice(start, start + chunk);
      await this.rateLimit.take(runId, settings.rate, slice.length, signal);
      const outcomes = await prober.probeBatch([...slice], signal);
      for (const outcome of outcomes) {
        statusCounts[outcome.probe_status] = (statusCounts[outcome.probe_status] ?? 0) + 1;
        if (outcome.probe_status === 'refused') closedPorts[outcome.ip] ??= outcome.port;
        if (outcome.synack === null) continue;
        responsive.push({
          ip: outcome.ip,
          port: outcome.port,
          probed_at: outcome.probed_at.toISOString(),
          probe_status: outcome.probe_status,
          http_status: outcome.http_status,
          http_server: outcome.http_server,
          rtt_ms: outcome.rtt_ms,
          synack_count: outcome.synack_count,
          syn_retransmitted: outcome.syn_retransmitted,
          ...outcome.synack,
          ...outcome.syn,
        });
      }
      await job.updateProgress(Math.round(((start + slice.length) / targets.length) * 100));
    }
    // Before the job completes: the coordinator counts the batch as probed from this record (a retry overwrites it).
    await this.records.record(runId, job.data.batchNo, 'probe', {
      probed: Object.values(statusCounts).reduce((a, b) => a + (b ?? 0), 0),
      responsive: responsive.length,
      at: Date.now(),
    });
    return { responsive, statusCounts, closedPorts };
  }

  async close(): Promise<void> {
    for (const prober of this.probers.values()) {
      try {
        await (await prober).close();
      } catch {
        // a prober that never started has nothing to close
      }
    }
    this.probers.clear();
  }
}
