import type { IngestCounts } from './target-ingest.ts';
import type { BatchOutcome } from './row-join.ts';

export interface RunSummary {
  readonly runId: string;
  readonly dataset: string;
  /** interrupted: a shutdown signal; failed: a batch could not be written (`error` says why). Both resume. */
  readonly status: 'complete' | 'interrupted' | 'failed';
  readonly error?: string;
  readonly elapsedMs: number;
  readonly ingest: IngestCounts;
  readonly hosts: number;
  readonly batches: number;
  readonly batchesJoined: number;
  readonly batchesFailed: number;
  readonly probeStatus: Record<string, number>;
  readonly labelStatus: Record<string, number>;
  readonly labelsReused: number;
  readonly rows: number;
  readonly classes: readonly { label: string; count: number }[];
  readonly version: { dataset: string; version: number; path: string; rows: number } | null;
  readonly dataDir: string;
}

export function summarizeRun(input: {
  runId: string;
  dataset: string;
  status: RunSummary['status'];
  ingest: IngestCounts;
  outcomes: readonly BatchOutcome[];
  hosts: number;
  batches: number;
  version: RunSummary['version'];
  elapsedMs: number;
  dataDir: string;
  error?: string;
}): RunSummary {
  const probeStatus: Record<string, number> = {};
  const labelStatus: Record<string, number> = {};
  const classes: Record<string, number> = {};
  let rows = 0;
  let failed = 0;
  let reused = 0;
  for (const o of input.outcomes) {
    rows += o.rows;
    reused += o.reusedLabels;
    if (o.probeFailed) failed += 1;
    for (const [k, v] of Object.entries(o.probeStatus)) probeStatus[k] = (probeStatus[k] ?? 0) + (v ?? 0);
    for (const [k, v] of Object.entries(o.labelStatus)) labelStatus[k] = (labelStatus[k] ?? 0) + (v ?? 0);
    for (const [k, v] of Object.entries(o.classes)) classes[k] = (classes[k] ?? 0) + v;
  }
  return {
    runId: input.runId,
    dataset: input.dataset,
    status: input.status,
    elapsedMs: input.elapsedMs,
    ingest: input.ingest,
    hosts: input.hosts,
    batches: input.batches,
    batchesJoined: input.outcomes.length,
    batchesFailed: failed,
    probeStatus,
    labelStatus,
    labelsReused: reused,
    rows,
    classes: Object.entries(classes)
      .map(([label, count]) => ({ label, count }))
      .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
    version: input.version,
    dataDir: input.dataDir,
    ...(input.error ? { error: input.error } : {}),
  };
}

/** The summary printed at the end of `osfp collect`. */
export function formatRunSummary(s: RunSummary): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const kv = (r: Record<string, number>) =>
    Object.entries(r)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${n(v)}`)
      .join(', ') || '-';
  const lines = [
    `run ${s.runId} (${s.dataset}): ${s.status} in ${(s.elapsedMs / 1000).toFixed(1)}s`,
    `  targets:   ${n(s.ingest.lines)} lines, ${n(s.ingest.names)} names (${n(s.ingest.resolved)} resolved, ${n(s.ingest.unresolved)} unresolved${s.ingest.unresolved > 0 ? `: ${kv(s.ingest.unresolvedByReason)}` : ''}), ${n(s.ingest.malformed)} malformed, ${n(s.ingest.excluded)} excluded`,
    `  hosts:     ${n(s.hosts)} addresses in ${n(s.batches)} batches (${n(s.batchesJoined)} written, ${n(s.batchesFailed)} failed)`,
    `  probe:     ${kv(s.probeStatus)}`,
    `  label:     ${kv(s.labelStatus)}${s.labelsReused > 0 ? ` (${n(s.labelsReused)} reused from the dataset)` : ''}`,
    `  rows:      ${n(s.rows)}`,
    `  classes:   ${
      s.classes.length === 0
        ? '-'
        : s.classes
            .slice(0, 12)
            .map((c) => `${c.label} ${n(c.count)}`)
            .join(', ')
    }${s.classes.length > 12 ? `, ... (${s.classes.length} classes)` : ''}`,
  ];
  if (s.version)
    lines.push(
      `  dataset:   ${s.version.dataset}@${s.version.version} (${n(s.version.rows)} rows) at ${s.version.path}`,
    );
  if (s.error) lines.push(`  error:     ${s.error}`);
  if (!s.version && s.status !== 'complete')
    lines.push(`  resume:    pnpm collect --resume ${s.runId} --data-dir ${s.dataDir}`);
  return lines.join('\n');
}
