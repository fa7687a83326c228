import { holdoutMetrics, patternOutcomes, promotionDecision, timeOrderedSplit, type HoldoutMetrics } from '../../../src/anomaly/evaluate';

const config = { raiseAbove: 0.9, noiseBelow: 0.2, noiseAction: 'lower' as const, noiseShare: 0.8, noiseMinOutcomes: 2 };

function metrics(rocAuc: number | null, precision: number | null = null): HoldoutMetrics {
  return {
    holdoutRows: 10,
    labelled: 10,
    actionable: rocAuc === null ? 0 : 5,
    noise: rocAuc === null ? 10 : 5,
    rocAuc,
    averagePrecision: rocAuc,
    noiseHolds: { would: 0, labelled: 0, laterActionable: 0, precision },
    raises: { would: 0, labelled: 0, actionable: 0 },
    meanScore: 0.5,
  };
}

describe('evaluation on a time-ordered holdout', () => {
  test('the newest rows are the holdout', () => {
    const s = timeOrderedSplit(10, 0.2);
    expect([...s.train]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...s.holdout]).toEqual([8, 9]);
    expect(timeOrderedSplit(3, 0.5).train.length).toBe(2);
  });

  test('noise holds that were later acknowledged count as misses', () => {
    // Training part: pattern A all noise, pattern B mixed. Holdout: A scored low twice (one later acked), B low once.
    const meta = { y: [0, 0, 0, 1, 0, 0, 1, 0, 1], pattern: ['A', 'A', 'A', 'B', 'B', 'A', 'A', 'B', 'C'] };
    const split = { train: Int32Array.from([0, 1, 2, 3, 4]), holdout: Int32Array.from([5, 6, 7, 8]) };
    const patterns = patternOutcomes(split.train, meta);
    expect(patterns.get('A')).toEqual({ noise: 3, actionable: 0 });
    const m = holdoutMetrics([0.1, 0.15, 0.1, 0.95], split.holdout, meta, patterns, config);
    expect(m.noiseHolds).toEqual({ would: 2, labelled: 2, laterActionable: 1, precision: 0.5 });
    expect(m.raises).toEqual({ would: 1, labelled: 1, actionable: 1 });
    expect(m.rocAuc).toBe(1);
  });

  test('promotion: not worse than the active model on the same holdout', () => {
    expect(promotionDecision(metrics(0.8), { ...metrics(0.8), version: 2 }, 'shadow')).toMatchObject({ promote: true });
    expect(promotionDecision(metrics(0.79), { ...metrics(0.8), version: 2 }, 'shadow')).toMatchObject({ promote: false, reason: 'ROC AUC 0.790 < 0.800 of active v2' });
  });

  test('promotion under enforce also needs noise-hold precision not worse', () => {
    expect(promotionDecision(metrics(0.85, 0.7), { ...metrics(0.8, 0.9), version: 2 }, 'enforce').promote).toBe(false);
    expect(promotionDecision(metrics(0.85, 0.7), { ...metrics(0.8, 0.9), version: 2 }, 'shadow').promote).toBe(true);
  });

  test('a first model must beat chance; an unrankable holdout never replaces a model', () => {
    expect(promotionDecision(metrics(0.6), null, 'shadow').promote).toBe(true);
    expect(promotionDecision(metrics(0.4), null, 'shadow').promote).toBe(false);
    expect(promotionDecision(metrics(null), null, 'shadow').promote).toBe(true);
    expect(promotionDecision(metrics(null), null, 'enforce').promote).toBe(false);
    expect(promotionDecision(metrics(null), { ...metrics(0.8), version: 1 }, 'shadow').promote).toBe(false);
  });
});
