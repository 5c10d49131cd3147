import { describe, expect, it } from 'vitest';
import { etaFromStages, StageRateMeter } from '../src/coordinator/stage-rates.ts';

const at = (probe: number, label: number, write: number, count = 100) => ({
  probe: { batches: probe, count: probe * count },
  label: { batches: label, count: label * 10 },
  write: { batches: write, count: write * 50 },
});

describe('per-stage rates and the ETA of the slowest stage', () => {
  it('knows no rate before a stage finished a batch in this session, nor within the first second', () => {
    const meter = new StageRateMeter();
    meter.start(0, at(5, 5, 5)); // a resumed run: five batches from an earlier session
    expect(meter.rates(500, at(6, 5, 5)).probe.batchesPerSec).toBeNull();
    const rates = meter.rates(10_000, at(6, 5, 5));
    expect(rates.probe).toEqual({ batchesPerSec: 0.1, countPerSec: 10 });
    expect(rates.label.batchesPerSec).toBeNull();
  });

  it('takes the ETA from the slowest stage, as a lower bound while a stage with work left has no pace yet', () => {
    const meter = new StageRateMeter();
    meter.start(0, at(0, 0, 0));
    const early = at(4, 0, 0);
    expect(etaFromStages(10, early, meter.rates(4_000, early))).toEqual({
      ms: 6_000,
      stage: 'probe',
      lowerBound: true,
    });
    const later = at(8, 4, 2);
    // probe: 2 left at 0.8/s; label: 6 left at 0.4/s; write: 8 left at 0.2/s -> 40 s, write is the slowest.
    expect(etaFromStages(10, later, meter.rates(10_000, later))).toEqual({
      ms: 40_000,
      stage: 'write',
      lowerBound: false,
    });
    const done = at(10, 10, 10);
    expect(etaFromStages(10, done, meter.rates(20_000, done))).toEqual({ ms: 0, stage: null, lowerBound: false });
  });

  it('averages over the last five minutes of a long run', () => {
    const meter = new StageRateMeter();
    meter.start(0, at(0, 0, 0));
    // Ten minutes at one batch per 10 s, then faster: the rate follows the recent pace.
    for (let t = 1; t <= 60; t++) meter.observe(t * 10_000, at(t, t, t));
    for (let t = 1; t <= 30; t++) meter.observe(600_000 + t * 10_000, at(60 + 3 * t, 60, 60));
    const rate = meter.rates(900_000, at(150, 60, 60)).probe.batchesPerSec!;
    expect(rate).toBeGreaterThan(0.28);
    expect(rate).toBeLessThanOrEqual(0.3);
  });
});
