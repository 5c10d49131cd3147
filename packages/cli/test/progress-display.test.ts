import { describe, expect, it } from 'vitest';
import type { ProgressSnapshot } from '@osfp/collector';
import { formatProgress, rateAndEta } from '../src/progress-display.ts';

const snapshot = (over: Partial<ProgressSnapshot>): ProgressSnapshot => ({
  runId: 'r',
  phase: 'collecting',
  hosts: 1000,
  batches: 10,
  enqueued: 0,
  joined: 0,
  probing: 0,
  labelling: 0,
  probed: 0,
  responsive: 0,
  labelled: 0,
  written: 0,
  elapsedMs: 0,
  ingest: {
    lines: 0,
    names: 0,
    resolved: 0,
    unresolved: 0,
    unresolvedByReason: {},
    malformed: 0,
    excluded: 0,
    excludedByReason: {},
    addresses: 0,
  },
  ...over,
});

describe('progress rate and ETA', () => {
  it('says nothing about the rate in the first second (a batch in a few ms is not millions of probes/s)', () => {
    const rate = rateAndEta(snapshot({ probed: 22_528 }), { atMs: 1_000, probed: 0, joined: 0 }, 1_001);
    expect(rate).toEqual({ probesPerSec: null, etaMs: null });
    expect(formatProgress(snapshot({}), rate)).toContain('? probes/s · ETA ?');
  });

  it("counts only this session's probes and batches on a resumed run", () => {
    const base = { atMs: 0, probed: 5_000, joined: 5 };
    const rate = rateAndEta(snapshot({ probed: 6_000, joined: 6 }), base, 10_000);
    expect(rate.probesPerSec).toBe(100);
    expect(rate.etaMs).toBe(40_000); // one batch in 10 s, four to go
  });
});
