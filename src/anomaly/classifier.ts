/**
 * Classifies one incident: feature vector → anomaly score with the tenant's active model → effective
 * severity per the tenant's mode (decide.ts), recorded with the vector and model version so the
 * incident's outcome can become a training label later.
 *
 * One query in the common case (history + active model id, ModelStore.classifyContext) and one
 * write; a second read only when enforce's noise rule needs the pattern's past outcomes, and a
 * cached count of labelled incidents while the tenant is in cold start.
 */
import { FEATURE_NAMES, FEATURE_VERSION } from '../../models/features';
import type { ConfigStore } from '../config/store';
import type { AlertView, Severity } from '../incident/view';
import type { AnomalyMode } from '../config/anomaly';
import type { ModelStore } from '../store/models';
import { decide, type PatternOutcomes } from './decide';
import { deriveLabel } from './labels';
import type { LoadedModel, ModelCache } from './modelCache';
import { incidentVector, patternOf, reconstructedAlerts } from './vector';
import { redactorFor } from '../audit/redact';

export interface ClassifyArgs {
  tenant: string;
  incidentId: string;
  alerts: AlertView[];
  commonLabels: Record<string, string>;
  declaredSeverity: Severity;
  /** When the incident (or the severity change) happened: the workflow's clock, ISO. */
  at: string;
}

export interface Classification {
  mode: AnomalyMode;
  /** Ensemble anomaly score in [0, 1]; absent when scoring is off or no model is in force. */
  score?: number;
  modelVersion?: number;
  featureVersion: number;
  /** Features that made the incident unusual, largest share first (weights sum to ≤ 1). */
  topFeatures: Array<{ name: string; weight: number }>;
  /** The severity to page on (and to show as KlaxonSeverity). */
  effectiveSeverity: Severity;
  /** enforce only: do not page (the pattern was mostly noise and this one scores as routine). */
  hold: boolean;
  /** One line for people: messages in advise mode, the timeline, `klaxon model report`. */
  reason: string;
}

const TOP_FEATURES = 3;
/** How long a tenant's labelled-row count (cold-start reason) and a pattern's outcomes are reused. */
const LABELLED_COUNT_TTL_MS = 60_000;
const PATTERN_TTL_MS = 60_000;
const PATTERN_CACHE_SIZE = 10_000;
/** How many of a pattern's newest incidents (in the training window) decide whether it is mostly noise. */
const PATTERN_OUTCOMES = 200;

export class Classifier {
  private readonly labelledCounts = new Map<string, { n: number; at: number }>();
  private readonly patterns = new Map<string, { outcomes: PatternOutcomes; at: number }>();

  constructor(
    private readonly deps: { config: ConfigStore; store: ModelStore; cache: ModelCache; onModelError?: (tenant: string, err: Error) => void },
  ) {}

  async classify(args: ClassifyArgs): Promise<Classification> {
    const tenant = this.deps.config.tenant(args.tenant);
    if (!tenant) throw new Error(`unknown tenant ${args.tenant}`);
    const cfg = tenant.anomaly;
    const declared = args.declaredSeverity;
    if (cfg.mode === 'off') {
      return { mode: 'off', featureVersion: FEATURE_VERSION, topFeatures: [], effectiveSeverity: declared, hold: false, reason: 'anomaly scoring off' };
    }

    const at = new Date(args.at);
    const { alertname, service } = patternOf(args.commonLabels, args.alerts);
    const ctx = await this.deps.store.classifyContext({ tenant: args.tenant, incidentId: args.incidentId, alertname, labels: args.commonLabels, at: args.at });
    // Features are built from redacted labels and annotations (privacy.redact), so the stored
    // vector never depends on, say, an IP address: only on the fact that there was one.
    const redact = redactorFor(tenant.privacy);
    const featureAlerts = args.alerts.map((a) => ({ ...a, labels: redact.tree(a.labels), annotations: redact.tree(a.annotations) }));
    const vector = incidentVector(featureAlerts, at, ctx.history, cfg.timeZone);

    let model: LoadedModel | null = null;
    let offReason: string | undefined;
    try {
      model = await this.deps.cache.get(args.tenant, ctx.activeModelId);
    } catch (err) {
      offReason = `model off: the active model failed to load (${(err as Error).message})`;
      this.deps.onModelError?.(args.tenant, err as Error);
    }
    if (model && model.featureVersion !== FEATURE_VERSION) {
      offReason = `model off: v${model.version} was trained on feature version ${model.featureVersion}, incidents now use ${FEATURE_VERSION}; waiting for a retrain`;
      model = null;
    } else if (model && model.labelledRows < cfg.minTrainingRows) {
      offReason = `model off: ${model.labelledRows} of ${cfg.minTrainingRows} training rows (v${model.version})`;
      model = null;
    } else if (!model && !offReason) {
      const n = await this.labelledCount(args.tenant, cfg.trainingWindow, cfg.transientWithin, at);
      offReason = `model off: ${n} of ${cfg.minTrainingRows} training rows${n >= cfg.minTrainingRows ? ', waiting for the first retrain' : ''}`;
    }

    let score: number | undefined;
    let topFeatures: Classification['topFeatures'] = [];
    let pattern: PatternOutcomes | undefined;
    if (model) {
      // A model trained on reconstructed vectors scores the incident reconstructed the same way.
      const scored = model.vectors === 'reconstructed' ? incidentVector(reconstructedAlerts(redact.tree(args.commonLabels), args.at), at, ctx.history, cfg.timeZone) : vector;
      score = model.ensemble.score(scored);
      topFeatures = model.ensemble.explain(scored, TOP_FEATURES).map((c) => ({ name: FEATURE_NAMES[c.feature], weight: round(c.weight) }));
      if (score <= cfg.noiseBelow) pattern = await this.patternOutcomes(args, alertname, service, cfg.trainingWindow, cfg.transientWithin, at);
    }

    const decision = decide({
      mode: cfg.mode,
      declared,
      score,
      modelVersion: model?.version,
      offReason,
      pattern,
      topFeatures: topFeatures.map((f) => f.name),
      config: cfg,
    });

    await this.deps.store.recordClassification({
      incidentId: args.incidentId,
      tenant: args.tenant,
      declaredSeverity: declared,
      classifiedAt: args.at,
      mode: cfg.mode,
      modelId: model?.id,
      modelVersion: model?.version,
      featureVersion: FEATURE_VERSION,
      features: vector,
      score,
      effectiveSeverity: decision.effectiveSeverity,
      hold: decision.hold,
      enforceSeverity: decision.enforce.severity,
      enforceHold: decision.enforce.hold,
      topFeatures,
      reason: decision.reason,
      alertname,
      service,
    });

    return {
      mode: cfg.mode,
      ...(score !== undefined ? { score: round(score) } : {}),
      ...(model ? { modelVersion: model.version } : {}),
      featureVersion: FEATURE_VERSION,
      topFeatures,
      effectiveSeverity: decision.effectiveSeverity,
      hold: decision.hold,
      reason: decision.reason,
    };
  }

  private async labelledCount(tenant: string, windowMs: number, transientMs: number, at: Date): Promise<number> {
    const cached = this.labelledCounts.get(tenant);
    if (cached && Date.now() - cached.at < LABELLED_COUNT_TTL_MS) return cached.n;
    const n = await this.deps.store.countLabelled({
      tenant,
      from: new Date(at.getTime() - windowMs).toISOString(),
      to: at.toISOString(),
      transientWithinMs: transientMs,
    });
    this.labelledCounts.set(tenant, { n, at: Date.now() });
    return n;
  }

  /**
   * Labelled outcomes of the pattern's recent incidents (~10 ms over a busy pattern), cached for a
   * minute: noisy patterns fire in bursts, and a minute-old view of their history is enough.
   */
  private async patternOutcomes(args: ClassifyArgs, alertname: string, service: string, windowMs: number, transientMs: number, at: Date): Promise<PatternOutcomes> {
    const key = `${args.tenant}|${alertname}|${service}`;
    const cached = this.patterns.get(key);
    if (cached && Date.now() - cached.at < PATTERN_TTL_MS) return cached.outcomes;
    const facts = await this.deps.store.patternFacts({
      tenant: args.tenant,
      alertname,
      service,
      since: new Date(at.getTime() - windowMs).toISOString(),
      before: args.at,
      excludeId: args.incidentId,
      limit: PATTERN_OUTCOMES,
    });
    const outcomes: PatternOutcomes = { noise: 0, actionable: 0 };
    for (const f of facts) {
      const label = deriveLabel(f, transientMs);
      if (label) outcomes[label.y === 1 ? 'actionable' : 'noise']++;
    }
    this.patterns.delete(key);
    if (this.patterns.size >= PATTERN_CACHE_SIZE) this.patterns.delete(this.patterns.keys().next().value!);
    this.patterns.set(key, { outcomes, at: Date.now() });
    return outcomes;
  }
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
