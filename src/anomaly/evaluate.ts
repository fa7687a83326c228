/**
 * Evaluation of a candidate model on a time-ordered holdout, and the promotion rule.
 *
 * The exported rows are oldest first; the newest `holdoutFraction` of them are the holdout (never
 * seen in training, and later than everything that was: the way the model will be used). Metrics on
 * the holdout's labelled rows (actionable = 1, transient/noise = 0):
 *
 * - ROC AUC and average precision of the anomaly score (does a higher score mean "someone acted"?);
 * - for enforce, the noise rule replayed: which holdout incidents enforce would have lowered or held
 *   (score ≤ noiseBelow and a pattern mostly noise in the *training* part's outcomes), and of those
 *   how many were later acknowledged — misses. Precision = noise / labelled among them.
 *
 * Promotion: a candidate replaces the active model only if it is not worse on the same holdout —
 * ROC AUC ≥ the active model's and, when the tenant enforces, noise-hold precision ≥ the active
 * model's (when both are defined). With no comparable active model, a candidate must beat chance
 * (AUC ≥ 0.5). A holdout without both labels cannot rank anything: the candidate is promoted only
 * into an empty slot of a tenant that does not enforce.
 */
import { averagePrecision, rocAuc } from '../../models/metrics';
import type { AnomalyConfig, AnomalyMode } from '../config/anomaly';
import { enforceDecision, type PatternOutcomes } from './decide';
import type { DatasetMeta } from './dataset';

export interface Split {
  train: Int32Array;
  holdout: Int32Array;
}

/** Rows are in time order: the last ⌈fraction · n⌉ rows (at least 1, leaving at least 2 to train) are the holdout. */
export function timeOrderedSplit(n: number, holdoutFraction: number): Split {
  const h = Math.min(Math.max(1, Math.ceil(n * holdoutFraction)), Math.max(0, n - 2));
  const train = new Int32Array(n - h);
  const holdout = new Int32Array(h);
  for (let i = 0; i < n - h; i++) train[i] = i;
  for (let i = 0; i < h; i++) holdout[i] = n - h + i;
  return { train, holdout };
}

export function patternOutcomes(idx: ArrayLike<number>, meta: Pick<DatasetMeta, 'y' | 'pattern'>): Map<string, PatternOutcomes> {
  const out = new Map<string, PatternOutcomes>();
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    const y = meta.y[i];
    if (y < 0) continue;
    const p = out.get(meta.pattern[i]) ?? { noise: 0, actionable: 0 };
    if (y === 1) p.actionable++;
    else p.noise++;
    out.set(meta.pattern[i], p);
  }
  return out;
}

export interface HoldoutMetrics {
  holdoutRows: number;
  labelled: number;
  actionable: number;
  noise: number;
  rocAuc: number | null;
  averagePrecision: number | null;
  /** Incidents enforce would have lowered or held, and how many of them were later acknowledged (misses). */
  noiseHolds: { would: number; labelled: number; laterActionable: number; precision: number | null };
  /** Incidents enforce would have raised, and how many were actionable. */
  raises: { would: number; labelled: number; actionable: number };
  meanScore: number;
}

type RuleConfig = Pick<AnomalyConfig, 'raiseAbove' | 'noiseBelow' | 'noiseAction' | 'noiseShare' | 'noiseMinOutcomes'>;

/** Metrics of `scores` (one per holdout row, in holdout order). */
export function holdoutMetrics(scores: ArrayLike<number>, holdout: ArrayLike<number>, meta: Pick<DatasetMeta, 'y' | 'pattern'>, patterns: Map<string, PatternOutcomes>, config: RuleConfig): HoldoutMetrics {
  const s: number[] = [];
  const y: number[] = [];
  const noiseHolds = { would: 0, labelled: 0, laterActionable: 0, precision: null as number | null };
  const raises = { would: 0, labelled: 0, actionable: 0 };
  let sum = 0;
  for (let k = 0; k < holdout.length; k++) {
    const i = holdout[k];
    const label = meta.y[i];
    sum += scores[k];
    if (label >= 0) {
      s.push(scores[k]);
      y.push(label);
    }
    // Declared severity does not matter for whether the rule fires; 'warning' can move either way.
    const e = enforceDecision({ mode: 'enforce', declared: 'warning', score: scores[k], pattern: patterns.get(meta.pattern[i]), config });
    if (e.change === 'lower' || e.change === 'hold') {
      noiseHolds.would++;
      if (label >= 0) noiseHolds.labelled++;
      if (label === 1) noiseHolds.laterActionable++;
    } else if (e.change === 'raise') {
      raises.would++;
      if (label >= 0) raises.labelled++;
      if (label === 1) raises.actionable++;
    }
  }
  noiseHolds.precision = noiseHolds.labelled > 0 ? round((noiseHolds.labelled - noiseHolds.laterActionable) / noiseHolds.labelled) : null;
  const pos = y.filter((v) => v === 1).length;
  const rankable = pos > 0 && pos < y.length;
  return {
    holdoutRows: holdout.length,
    labelled: y.length,
    actionable: pos,
    noise: y.length - pos,
    rocAuc: rankable ? round(rocAuc(s, y)) : null,
    averagePrecision: rankable ? round(averagePrecision(s, y)) : null,
    noiseHolds,
    raises,
    meanScore: holdout.length ? round(sum / holdout.length) : 0,
  };
}

export interface PromotionDecision {
  promote: boolean;
  reason: string;
}

export function promotionDecision(candidate: HoldoutMetrics, active: (HoldoutMetrics & { version: number }) | null, mode: AnomalyMode): PromotionDecision {
  const auc = (m: HoldoutMetrics) => (m.rocAuc === null ? 'n/a' : m.rocAuc.toFixed(3));
  if (candidate.rocAuc === null) {
    const why = `holdout has ${candidate.actionable} actionable and ${candidate.noise} noise incidents: nothing to rank`;
    if (active) return { promote: false, reason: `${why}; keeping v${active.version}` };
    if (mode === 'enforce') return { promote: false, reason: `${why}; not promoting an unevaluated model for a tenant that enforces` };
    return { promote: true, reason: `${why}; promoted as the first model (mode ${mode} does not change severities)` };
  }
  if (!active || active.rocAuc === null) {
    if (candidate.rocAuc < 0.5) return { promote: false, reason: `ROC AUC ${auc(candidate)} is worse than chance` };
    return { promote: true, reason: active ? `ROC AUC ${auc(candidate)}; v${active.version} cannot be ranked on this holdout` : `ROC AUC ${auc(candidate)}; first model` };
  }
  if (candidate.rocAuc < active.rocAuc) {
    return { promote: false, reason: `ROC AUC ${auc(candidate)} < ${auc(active)} of active v${active.version}` };
  }
  const cp = candidate.noiseHolds.precision;
  const ap = active.noiseHolds.precision;
  if (mode === 'enforce' && cp !== null && ap !== null && cp < ap) {
    return { promote: false, reason: `noise-hold precision ${cp.toFixed(3)} < ${ap.toFixed(3)} of active v${active.version} (ROC AUC ${auc(candidate)} vs ${auc(active)})` };
  }
  return { promote: true, reason: `ROC AUC ${auc(candidate)} ≥ ${auc(active)} of v${active.version}${mode === 'enforce' ? `, noise-hold precision ${cp ?? 'n/a'} vs ${ap ?? 'n/a'}` : ''}` };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
