import { EmpiricalCdf } from '../../../models/calibration';

describe('EmpiricalCdf', () => {
  it('maps training scores to their empirical CDF and clamps outside the range', () => {
    const cdf = EmpiricalCdf.fit([1, 2, 3, 4, 5]);
    expect(cdf.cdf(0)).toBe(0);
    expect(cdf.cdf(1)).toBe(0);
    expect(cdf.cdf(3)).toBeCloseTo(0.5, 12);
    expect(cdf.cdf(3.5)).toBeCloseTo(0.625, 12);
    expect(cdf.cdf(5)).toBe(1);
    expect(cdf.cdf(100)).toBe(1);
  });

  it('is monotone and summarises large training sets with a bounded number of quantiles', () => {
    const scores = Array.from({ length: 10_000 }, (_, i) => Math.sqrt(i));
    const cdf = EmpiricalCdf.fit(scores, 100);
    expect(cdf.toJSON().quantiles).toHaveLength(101);
    let prev = -1;
    for (let s = 0; s <= 100; s += 0.37) {
      const p = cdf.cdf(s);
      expect(p).toBeGreaterThanOrEqual(prev);
      prev = p;
    }
    // Median of sqrt(0..9999) is ~70.7.
    expect(cdf.cdf(70.7)).toBeCloseTo(0.5, 2);
  });

  it('maps a run of tied scores to the upper end of the run', () => {
    const cdf = EmpiricalCdf.fit([1, 2, 2, 2, 3]);
    expect(cdf.cdf(2)).toBeCloseTo(0.75, 12);
  });

  it('round-trips through JSON and rejects bad quantiles', () => {
    const cdf = EmpiricalCdf.fit([0.3, 0.1, 0.2, 0.9]);
    const copy = EmpiricalCdf.fromJSON(JSON.parse(JSON.stringify(cdf.toJSON())));
    for (const s of [0, 0.15, 0.25, 0.5, 1]) expect(copy.cdf(s)).toBe(cdf.cdf(s));
    expect(() => EmpiricalCdf.fromJSON({ quantiles: [2, 1] })).toThrow(/non-decreasing/);
    expect(() => EmpiricalCdf.fit([])).toThrow(/zero scores/);
  });
});
