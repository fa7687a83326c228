import { decide, type DecisionInput } from '../../../src/anomaly/decide';

const config: DecisionInput['config'] = { raiseAbove: 0.9, noiseBelow: 0.2, noiseAction: 'lower', noiseShare: 0.8, noiseMinOutcomes: 5 };
const noisy = { noise: 9, actionable: 1 };
const base = { declared: 'warning' as const, modelVersion: 3, config };

describe('effective severity per anomaly mode', () => {
  describe('enforce', () => {
    test('a score at or above raiseAbove raises one level', () => {
      expect(decide({ ...base, mode: 'enforce', score: 0.9 })).toMatchObject({ effectiveSeverity: 'critical', hold: false, enforce: { change: 'raise' } });
      expect(decide({ ...base, mode: 'enforce', declared: 'info', score: 0.95 }).effectiveSeverity).toBe('warning');
    });

    test('critical cannot go higher', () => {
      const d = decide({ ...base, mode: 'enforce', declared: 'critical', score: 0.99 });
      expect(d).toMatchObject({ effectiveSeverity: 'critical', enforce: { change: 'none' } });
      expect(d.reason).toMatch(/highest level/);
    });

    test('a low score lowers one level only for a pattern whose outcomes were mostly noise', () => {
      const d = decide({ ...base, mode: 'enforce', score: 0.1, pattern: noisy });
      expect(d).toMatchObject({ effectiveSeverity: 'info', hold: false, enforce: { change: 'lower' } });
      expect(d.reason).toBe('anomaly (model v3): score 0.10 ≤ 0.20 and 9 of 10 past outcomes noise: warning → info');
    });

    test('a low score alone changes nothing: rare-but-quiet is not noisy', () => {
      expect(decide({ ...base, mode: 'enforce', score: 0.05 })).toMatchObject({ effectiveSeverity: 'warning', hold: false, enforce: { change: 'none' } });
      expect(decide({ ...base, mode: 'enforce', score: 0.05, pattern: { noise: 7, actionable: 3 } }).effectiveSeverity).toBe('warning');
    });

    test('too few past outcomes do not make a pattern noisy', () => {
      expect(decide({ ...base, mode: 'enforce', score: 0.05, pattern: { noise: 4, actionable: 0 } }).effectiveSeverity).toBe('warning');
      expect(decide({ ...base, mode: 'enforce', score: 0.05, pattern: { noise: 5, actionable: 0 } }).effectiveSeverity).toBe('info');
    });

    test('with noiseAction hold, a routine incident of a noisy pattern is held without paging at its declared severity', () => {
      const d = decide({ ...base, mode: 'enforce', score: 0.2, pattern: noisy, config: { ...config, noiseAction: 'hold' } });
      expect(d).toMatchObject({ effectiveSeverity: 'warning', hold: true, enforce: { change: 'hold' } });
      expect(d.reason).toMatch(/held without paging/);
    });

    test('info cannot go lower', () => {
      expect(decide({ ...base, mode: 'enforce', declared: 'info', score: 0.1, pattern: noisy })).toMatchObject({ effectiveSeverity: 'info', hold: false });
    });

    test('a score between the thresholds changes nothing', () => {
      expect(decide({ ...base, mode: 'enforce', score: 0.5, pattern: noisy })).toMatchObject({ effectiveSeverity: 'warning', hold: false, enforce: { change: 'none' } });
    });
  });

  test('shadow pages on the declared severity and records what enforce would have done', () => {
    const d = decide({ ...base, mode: 'shadow', score: 0.1, pattern: noisy });
    expect(d).toMatchObject({ effectiveSeverity: 'warning', hold: false, enforce: { severity: 'info', change: 'lower' } });
    expect(d.reason).toMatch(/^shadow \(model v3\): score 0\.10, enforce would lower it to info/);
  });

  test('advise pages on the declared severity and explains the score for messages', () => {
    const d = decide({ ...base, mode: 'advise', score: 0.93, topFeatures: ['never_seen', 'hash_03'] });
    expect(d).toMatchObject({ effectiveSeverity: 'warning', hold: false });
    expect(d.reason).toBe('anomaly score 0.93 (model v3): unusual for this tenant; enforce would raise it to critical; top features: never_seen, hash_03');
  });

  test('cold start: no score, the declared severity, and the reason why', () => {
    for (const mode of ['shadow', 'advise', 'enforce'] as const) {
      expect(decide({ mode, declared: 'critical', config, offReason: 'model off: 37 of 200 training rows' })).toEqual({
        effectiveSeverity: 'critical',
        hold: false,
        reason: 'model off: 37 of 200 training rows',
        enforce: { severity: 'critical', hold: false, change: 'none', why: 'model off: 37 of 200 training rows' },
      });
    }
  });

  test('off ignores any score', () => {
    expect(decide({ ...base, mode: 'off', score: 0.99 })).toMatchObject({ effectiveSeverity: 'warning', hold: false, reason: 'anomaly scoring off' });
  });
});
