/**
 * Score → effective severity, per tenant mode. Pure: the classify activity gathers the inputs (score,
 * the pattern's past outcomes), this decides.
 *
 * What `enforce` does is computed in every mode (and recorded, for `klaxon model report`):
 * - score ≥ raiseAbove: one level up (info → warning → critical; critical stays critical);
 * - score ≤ noiseBelow, and the pattern (same alertname and service) was mostly noise — at least
 *   `noiseShare` of at least `noiseMinOutcomes` labelled outcomes — one level down, or held without
 *   paging when `noiseAction: hold`. A low score alone never lowers anything: rare-but-quiet is not
 *   the same as noisy.
 *
 * Modes: `off` skips all of it; `shadow` and `advise` page on the declared severity (advise puts the
 * reason in messages); `enforce` pages on the decided one.
 */
import type { AnomalyConfig, AnomalyMode } from '../config/anomaly';
import type { Severity } from '../incident/view';

const LEVELS: readonly Severity[] = ['info', 'warning', 'critical'];

export interface PatternOutcomes {
  noise: number;
  actionable: number;
}

export interface DecisionInput {
  mode: AnomalyMode;
  declared: Severity;
  /** Ensemble score in [0, 1]; absent when no model is in force (cold start). */
  score?: number;
  modelVersion?: number;
  /** Why there is no score ("model off: 37 of 200 training rows"). */
  offReason?: string;
  /** Past labelled outcomes of this incident's pattern; only needed when score ≤ noiseBelow. */
  pattern?: PatternOutcomes;
  /** Names of the top contributing features, for the reason. */
  topFeatures?: string[];
  config: Pick<AnomalyConfig, 'raiseAbove' | 'noiseBelow' | 'noiseAction' | 'noiseShare' | 'noiseMinOutcomes'>;
}

export interface Decision {
  effectiveSeverity: Severity;
  hold: boolean;
  reason: string;
  /** What enforce does (or would do) with this incident. */
  enforce: { severity: Severity; hold: boolean; change: 'raise' | 'lower' | 'hold' | 'none'; why: string };
}

export function raiseOne(s: Severity): Severity {
  return LEVELS[Math.min(LEVELS.length - 1, LEVELS.indexOf(s) + 1)];
}

export function lowerOne(s: Severity): Severity {
  return LEVELS[Math.max(0, LEVELS.indexOf(s) - 1)];
}

/** True when the pattern's outcomes were mostly noise by the tenant's definition. */
export function mostlyNoise(p: PatternOutcomes | undefined, config: DecisionInput['config']): boolean {
  if (!p) return false;
  const total = p.noise + p.actionable;
  return total >= config.noiseMinOutcomes && p.noise / total >= config.noiseShare;
}

const fmt = (x: number) => x.toFixed(2);

/** What enforce would do with a scored incident. */
export function enforceDecision(input: DecisionInput & { score: number }): Decision['enforce'] {
  const { declared, score, config, pattern } = input;
  if (score >= config.raiseAbove) {
    const to = raiseOne(declared);
    return to === declared
      ? { severity: declared, hold: false, change: 'none', why: `score ${fmt(score)} ≥ ${fmt(config.raiseAbove)} but ${declared} is the highest level` }
      : { severity: to, hold: false, change: 'raise', why: `score ${fmt(score)} ≥ ${fmt(config.raiseAbove)}: unusual, ${declared} → ${to}` };
  }
  if (score <= config.noiseBelow) {
    const seen = pattern ? `${pattern.noise} of ${pattern.noise + pattern.actionable} past outcomes noise` : 'no past outcomes';
    if (!mostlyNoise(pattern, config)) {
      return { severity: declared, hold: false, change: 'none', why: `score ${fmt(score)} ≤ ${fmt(config.noiseBelow)} but the pattern is not mostly noise (${seen})` };
    }
    if (config.noiseAction === 'hold') {
      return { severity: declared, hold: true, change: 'hold', why: `score ${fmt(score)} ≤ ${fmt(config.noiseBelow)} and ${seen}: held without paging` };
    }
    const to = lowerOne(declared);
    return to === declared
      ? { severity: declared, hold: false, change: 'none', why: `score ${fmt(score)} ≤ ${fmt(config.noiseBelow)} and ${seen}, but ${declared} is the lowest level` }
      : { severity: to, hold: false, change: 'lower', why: `score ${fmt(score)} ≤ ${fmt(config.noiseBelow)} and ${seen}: ${declared} → ${to}` };
  }
  return { severity: declared, hold: false, change: 'none', why: `score ${fmt(score)} between ${fmt(config.noiseBelow)} and ${fmt(config.raiseAbove)}` };
}

export function decide(input: DecisionInput): Decision {
  const { mode, declared, score } = input;
  const unchanged = (reason: string): Decision => ({
    effectiveSeverity: declared,
    hold: false,
    reason,
    enforce: { severity: declared, hold: false, change: 'none', why: reason },
  });
  if (mode === 'off') return unchanged('anomaly scoring off');
  if (score === undefined) return unchanged(input.offReason ?? 'model off');

  const enforce = enforceDecision({ ...input, score });
  const model = input.modelVersion !== undefined ? ` (model v${input.modelVersion})` : '';
  const top = input.topFeatures?.length ? `; top features: ${input.topFeatures.join(', ')}` : '';
  switch (mode) {
    case 'enforce':
      return { effectiveSeverity: enforce.severity, hold: enforce.hold, reason: `anomaly${model}: ${enforce.why}${top}`, enforce };
    case 'advise': {
      const would = enforce.change === 'none' ? '' : `; enforce would ${describeChange(enforce)}`;
      return { effectiveSeverity: declared, hold: false, reason: `anomaly score ${fmt(score)}${model}: ${verdict(score, input.config)}${would}${top}`, enforce };
    }
    default: {
      const would = enforce.change === 'none' ? 'enforce would change nothing' : `enforce would ${describeChange(enforce)}`;
      return { effectiveSeverity: declared, hold: false, reason: `shadow${model}: score ${fmt(score)}, ${would} (${enforce.why})`, enforce };
    }
  }
}

function verdict(score: number, config: DecisionInput['config']): string {
  if (score >= config.raiseAbove) return 'unusual for this tenant';
  if (score <= config.noiseBelow) return 'routine for this tenant';
  return 'within the usual range';
}

function describeChange(e: Decision['enforce']): string {
  if (e.change === 'hold') return 'hold it without paging';
  return `${e.change} it to ${e.severity}`;
}
