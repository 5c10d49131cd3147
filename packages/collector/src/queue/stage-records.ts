import type { Redis } from 'ioredis';
import { runKeys } from './queue-names.ts';

/** What the probe stage of one batch did. */
export interface ProbeStageRecord {
  /** Probes made (every outcome, the unresponsive ones included). */
  readonly probed: number;
  /** Probes whose SYN-ACK was captured: the rows the batch will make. */
  readonly responsive: number;
  readonly at: number;
}

/** What the label stage of one batch did. */
export interface LabelStageRecord {
  /** Hosts Nmap gave a verdict for (ok or no-match). */
  readonly labelled: number;
  /** The probe stage failed for good: the batch makes no rows, but it has passed both stages. */
  readonly probeFailed: boolean;
  readonly at: number;
}

/** The stages one batch in flight has finished, as the workers recorded them. */
export interface BatchStageRecord {
  probe?: ProbeStageRecord;
  label?: LabelStageRecord;
}

type StageName = keyof BatchStageRecord;

/**
 * Per-batch stage counts in Redis, so the coordinator (and the dashboard)
 * learn when a probe or label job finishes, not only when the batch is
 * written. One hash per run (`osfp:run:ID:stages`), one field per batch and
 * stage (`7:probe`), written by the worker before its job completes:
 *
 * - exact across retries: a retried stage overwrites its field, never adds;
 * - survives a coordinator restart or a resume: the records live in Redis,
 *   the written batches' counts in the run's target index;
 * - flat memory: the join deletes a batch's fields once the batch is written,
 *   so the hash holds at most two small fields per batch in flight; the
 *   version build deletes the hash.
 *
 * A record of a batch already written (a stale worker finishing late) is
 * ignored by readers and deleted by the coordinator.
 */
export class StageRecords {
  constructor(private readonly redis: Redis) {}

  async record(runId: string, batchNo: number, stage: 'probe', record: ProbeStageRecord): Promise<void>;
  async record(runId: string, batchNo: number, stage: 'label', record: LabelStageRecord): Promise<void>;
  async record(
    runId: string,
    batchNo: number,
    stage: StageName,
    record: ProbeStageRecord | LabelStageRecord,
  ): Promise<void> {
    await this.redis.hset(runKeys(runId).stages, `${batchNo}:${stage}`, JSON.stringify(record));
  }

  /** Every batch that has a record, by batch number. */
  async read(runId: string): Promise<Map<number, BatchStageRecord>> {
    return parseStageRecords(await this.redis.hgetall(runKeys(runId).stages));
  }

  /** Forgets a batch's records: it was written, or it runs again from the probe on. */
  async remove(runId: string, batchNos: readonly number[]): Promise<void> {
    if (batchNos.length === 0) return;
    await this.redis.hdel(runKeys(runId).stages, ...batchNos.flatMap((b) => [`${b}:probe`, `${b}:label`]));
  }

  async clear(runId: string): Promise<void> {
    await this.redis.del(runKeys(runId).stages);
  }
}

/** Parses HGETALL of a run's stage hash; fields that are not ours are skipped. */
export function parseStageRecords(fields: Record<string, string>): Map<number, BatchStageRecord> {
  const batches = new Map<number, BatchStageRecord>();
  for (const [field, value] of Object.entries(fields)) {
    const match = /^(\d+):(probe|label)$/.exec(field);
    if (!match) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      continue;
    }
    const batchNo = Number(match[1]);
    const entry = batches.get(batchNo) ?? {};
    if (match[2] === 'probe') entry.probe = parsed as ProbeStageRecord;
    else entry.label = parsed as LabelStageRecord;
    batches.set(batchNo, entry);
  }
  return batches;
}
