import { describe, expect, it } from 'vitest';
import type { ProgressSnapshot, StageProgress } from '@osfp/collector';
import { formatEta, formatProgress, formatRate, progressLogFields } from '../src/progress-display.ts';

const stage = (over: Partial<StageProgress> = {}): StageProgress => ({
  batches: 0,
  count: 0,
  batchesPerSec: null,
  countPerSec: null,
  ...over,
});

const snapshot = (over: Partial<ProgressSnapshot>): ProgressSnapshot => ({
  runId: 'r',
  dataset: 'web',
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
  stages: { probe: stage(), label: stage(), write: stage() },
  eta: { ms: null, stage: null, lowerBound: false },
  elapsedMs: 0,
  at: 0,
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

describe('progress panel', () => {
  it('says "?" for a rate and an ETA it cannot know yet', () => {
    const text = formatProgress(snapshot({}));
    expect(text).toContain('? probes/s');
    expect(text).toContain('ETA      ?');
  });

  it('shows each stage with its own count, batches and rate, and the ETA of the slowest stage', () => {
    const text = formatProgress(
      snapshot({
        probed: 640,
        responsive: 500,
        labelled: 120,
        written: 100,
        stages: {
          probe: stage({ batches: 5, count: 640, countPerSec: 812.4 }),
          label: stage({ batches: 2, count: 120, countPerSec: 4.25 }),
          write: stage({ batches: 1, count: 100, countPerSec: 3.9 }),
        },
        eta: { ms: 130_000, stage: 'label', lowerBound: false },
      }),
      { logFile: '/d/logs/collect-x.log' },
    );
    expect(text).toMatch(/probe +probed 640 · responsive 500 +5\/10 batches +812 probes\/s/);
    expect(text).toMatch(/label +labelled 120 +2\/10 batches +4\.3 labels\/s/);
    expect(text).toMatch(/write +rows written 100 +1\/10 batches +3\.9 rows\/s/);
    expect(text).toContain('ETA      2m10s (label is the slowest stage)');
    expect(text).toContain('log      /d/logs/collect-x.log');
  });

  it('formats rates and ETAs', () => {
    expect(formatRate(null, 'rows')).toBe('? rows/s');
    expect(formatRate(12_345.6, 'probes')).toBe('12,346 probes/s');
    expect(formatEta({ ms: 40_000, stage: 'probe', lowerBound: true })).toBe('≥ 40s (probe is the slowest stage)');
    expect(formatEta({ ms: 0, stage: null, lowerBound: false })).toBe('0s');
  });

  it('logs the same per-stage figures off a terminal', () => {
    const fields = progressLogFields(
      snapshot({
        probed: 10,
        stages: { probe: stage({ batches: 1, countPerSec: 2.25 }), label: stage(), write: stage() },
      }),
    );
    expect(fields).toMatchObject({ probed: 10, batchesProbed: 1, probesPerSec: 2.3, labelsPerSec: null, etaMs: null });
  });
});
