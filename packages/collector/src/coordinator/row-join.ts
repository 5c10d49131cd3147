import { unlabelledFields, type DatasetRow, type LabelFields, type LabelStatus, type ProbeStatus } from '@osfp/dataset';
import type { LabelJobResult } from '../queue/job-payloads.ts';
import type { LabelPlan } from './label-plan.ts';
import type { IndexedHost } from './target-index.ts';

/** What one joined batch contributed, kept per batch (idempotent) and summed for the run summary. */
export interface BatchOutcome {
  readonly batchNo: number;
  readonly hosts: number;
  readonly probed: number;
  readonly rows: number;
  readonly probeFailed: boolean;
  readonly probeStatus: Partial<Record<ProbeStatus, number>>;
  readonly labelStatus: Partial<Record<LabelStatus, number>>;
  readonly reusedLabels: number;
  readonly classes: Record<string, number>;
}

/**
 * Joins a batch: one row per responsive (address, port), with every name
 * that resolved to the address (from the target index, not Redis) and its
 * label: from this batch's Nmap, reused from the dataset's recent rows
 * (the index's reusable label), or a status saying why there is none.
 */
export function joinBatch(input: {
  runId: string;
  batchNo: number;
  hosts: readonly IndexedHost[];
  result: LabelJobResult | null;
  plan: Pick<LabelPlan, 'wanted' | 'reusedFor'>;
}): { rows: DatasetRow[]; outcome: BatchOutcome } {
  const hosts = new Map(input.hosts.map((h) => [h.ip, h]));
  const probe = input.result?.probe ?? null;
  const labels = input.result?.labels ?? {};
  const rows: DatasetRow[] = [];
  const labelStatus: Partial<Record<LabelStatus, number>> = {};
  const classes: Record<string, number> = {};
  let reused = 0;

  for (const record of probe?.responsive ?? []) {
    const { ip, port, probed_at, ...features } = record;
    let label: LabelFields;
    const fresh = labels[ip];
    const host = hosts.get(ip);
    const old = host ? input.plan.reusedFor(host) : undefined;
    if (fresh) label = fresh;
    else if (old) {
      label = old;
      reused += 1;
    } else label = unlabelledFields(input.plan.wanted(ip) ? 'failed' : 'skipped');
    labelStatus[label.label_status] = (labelStatus[label.label_status] ?? 0) + 1;
    if (label.label !== null) classes[label.label] = (classes[label.label] ?? 0) + 1;
    rows.push({
      run_id: input.runId,
      ip,
      port,
      domains: [...(host?.domains ?? [])],
      probed_at: new Date(probed_at),
      ...features,
      ...label,
    });
  }
  const probeStatus = probe?.statusCounts ?? {};
  return {
    rows,
    outcome: {
      batchNo: input.batchNo,
      hosts: input.hosts.length,
      probed: Object.values(probeStatus).reduce((a, b) => a + (b ?? 0), 0),
      rows: rows.length,
      probeFailed: probe === null,
      probeStatus,
      labelStatus,
      reusedLabels: reused,
      classes,
    },
  };
}
