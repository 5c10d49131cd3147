import { describe, expect, it } from 'vitest';
import { formatRunSummary, summarizeRun } from '../src/coordinator/run-summary.ts';
import { emptyIngestCounts } from '../src/coordinator/target-ingest.ts';

describe('run summary', () => {
  it('says why names did not resolve, and how to resume a run that did not finish', () => {
    const ingest = {
      ...emptyIngestCounts(),
      lines: 64,
      names: 64,
      unresolved: 64,
      unresolvedByReason: { timeout: 60, 'no-address': 4 },
    };
    const text = formatRunSummary(
      summarizeRun({
        runId: 'r1',
        dataset: 'list',
        status: 'interrupted',
        ingest,
        outcomes: [],
        hosts: 0,
        batches: 0,
        version: null,
        elapsedMs: 9_000,
        dataDir: '/d',
      }),
    );
    expect(text).toContain('64 names (0 resolved, 64 unresolved: no-address 4, timeout 60)');
    expect(text).toContain('resume:    pnpm collect --resume r1 --data-dir /d');
  });

  it('keeps the targets line short when every name resolved', () => {
    const ingest = { ...emptyIngestCounts(), lines: 2, names: 2, resolved: 2 };
    const text = formatRunSummary(
      summarizeRun({
        runId: 'r2',
        dataset: 'list',
        status: 'complete',
        ingest,
        outcomes: [],
        hosts: 2,
        batches: 1,
        version: { dataset: 'list', version: 1, path: '/d/datasets/list/v1', rows: 0 },
        elapsedMs: 1_000,
        dataDir: '/d',
      }),
    );
    expect(text).toContain('2 names (2 resolved, 0 unresolved),');
    expect(text).not.toContain('resume:');
  });
});
