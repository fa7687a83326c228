/**
 * Maps a raw anomaly score onto [0, 1] through the empirical CDF of the scores the model gave its
 * own training data: calibrated(s) = fraction of training scores <= s. This puts models with very
 * different raw scales (path-length scores, reconstruction errors) on a common, interpretable scale
 * ("more unusual than 99.3% of what the model was trained on"), which is what the ensemble averages.
 *
 * The CDF is summarised by K+1 quantiles (default 1000 intervals) so serialised models stay small
 * for any training size; between quantiles it is interpolated linearly, so the map is monotone and
 * strictly increasing wherever the training scores are not tied (rank order is preserved).
 */

export interface CalibrationJson {
  /** Training-score quantiles at probabilities 0, 1/K, ..., 1 (non-decreasing). */
  quantiles: number[];
}

export const DEFAULT_QUANTILE_INTERVALS = 1000;

export class EmpiricalCdf {
  private readonly q: Float64Array;

  private constructor(quantiles: ArrayLike<number>) {
    if (quantiles.length < 2) throw new RangeError('calibration needs at least 2 quantiles');
    this.q = Float64Array.from(quantiles);
    for (let i = 1; i < this.q.length; i++) {
      if (!(this.q[i] >= this.q[i - 1])) throw new RangeError('calibration quantiles must be non-decreasing and finite');
    }
  }

  /** Fit from training scores. With fewer scores than intervals, every score becomes a knot. */
  static fit(scores: ArrayLike<number>, intervals = DEFAULT_QUANTILE_INTERVALS): EmpiricalCdf {
    const n = scores.length;
    if (n === 0) throw new RangeError('cannot calibrate on zero scores');
    const sorted = Float64Array.from(scores).sort();
    if (n === 1) return new EmpiricalCdf([sorted[0], sorted[0]]);
    const k = Math.min(intervals, n - 1);
    const q = new Float64Array(k + 1);
    for (let i = 0; i <= k; i++) {
      // Linear interpolation between order statistics (type 7 quantiles).
      const pos = (i / k) * (n - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, n - 1);
      q[i] = sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
    return new EmpiricalCdf(q);
  }

  static fromJSON(json: CalibrationJson): EmpiricalCdf {
    return new EmpiricalCdf(json.quantiles);
  }

  toJSON(): CalibrationJson {
    return { quantiles: Array.from(this.q) };
  }

  /** Calibrated score in [0, 1]. */
  cdf(s: number): number {
    const q = this.q;
    const k = q.length - 1;
    if (Number.isNaN(s)) return NaN;
    if (s < q[0]) return 0;
    if (s >= q[k]) return 1;
    // Last index i with q[i] <= s (so a run of tied quantiles maps to its upper end).
    let lo = 0;
    let hi = k;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (q[mid] <= s) lo = mid;
      else hi = mid;
    }
    const span = q[lo + 1] - q[lo];
    const frac = span > 0 ? (s - q[lo]) / span : 0;
    return (lo + frac) / k;
  }
}
