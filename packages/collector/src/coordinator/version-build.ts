import { join } from 'node:path';
import type { StageCounts } from '@osfp/dataset';
import { runKeys } from '../queue/queue-names.ts';
import type { BatchOutcome } from './row-join.ts';
import type { RunSummary } from './run-summary.ts';
import type { RunState } from './run-state.ts';
import type { IngestCounts } from './target-ingest.ts';

/** The last step: counts per stage recorded with the run, and the dataset's next version built from its rows. */
export async function buildVersion(
  state: RunState,
): Promise<{ version: NonNullable<RunSummary['version']>; outcomes: BatchOutcome[] }> {
  const { store, index, runId, ingest, totals, dataset, provenance, dataDir } = state;
  state.phase = 'building version';
  const outcomes = await index.outcomes<BatchOutcome>();
  // Its buffer pool (up to 24 MB, full at a million names) is not needed any more: freed before the build needs memory.
  state.closeIndex();
  const counts = stageCounts(ingest, outcomes, totals.hosts, totals.batches);
  await store.recordCounts(runId, counts);
  const manifest = await store.buildVersion(dataset, { runs: [runId], provenance, counts });
  state.phase = 'done';
  await state.redis.del(runKeys(runId).cursor, runKeys(runId).ingest, runKeys(runId).stages);
  const version = {
    dataset: manifest.dataset,
    version: manifest.version,
    path: join(dataDir, 'datasets', manifest.dataset, `v${manifest.version}`),
    rows: manifest.rows,
  };
  return { version, outcomes };
}

function stageCounts(
  ingest: IngestCounts,
  outcomes: readonly BatchOutcome[],
  hosts: number,
  batches: number,
): StageCounts {
  const counts: StageCounts = {
    targets_read: ingest.lines,
    malformed: ingest.malformed,
    names: ingest.names,
    resolved: ingest.resolved,
    unresolved: ingest.unresolved,
    excluded: ingest.excluded,
    addresses: hosts,
    batches,
    probed: 0,
    responsive: 0,
    written: 0,
    batches_failed: 0,
  };
  for (const o of outcomes) {
    counts['probed']! += o.probed;
    counts['responsive']! += o.rows;
    counts['written']! += o.rows;
    if (o.probeFailed) counts['batches_failed']! += 1;
    for (const [status, n] of Object.entries(o.probeStatus))
      counts[`probe_${status}`] = (counts[`probe_${status}`] ?? 0) + (n ?? 0);
    for (const [status, n] of Object.entries(o.labelStatus))
      counts[`label_${status}`] = (counts[`label_${status}`] ?? 0) + (n ?? 0);
    counts['labels_reused'] = (counts['labels_reused'] ?? 0) + o.reusedLabels;
  }
  return counts;
}
