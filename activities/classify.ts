import { log } from '@temporalio/activity';
import { FEATURE_VERSION } from '../models/features';
import type { ConfigStore } from '../src/config/store';
import type { ModelStore } from '../src/store/models';
import { Classifier, type ClassifyArgs, type Classification } from '../src/anomaly/classifier';
import { ModelCache } from '../src/anomaly/modelCache';

export type { ClassifyArgs, Classification } from '../src/anomaly/classifier';

/**
 * Scores a new incident (or a declared-severity change) with the tenant's active anomaly model and
 * decides the effective severity per the tenant's mode (src/anomaly/decide.ts). Records the feature
 * vector and model version with the result, keyed by (incident, declared severity), so a retried
 * call rewrites the same row. Meant to run as a local activity: one or two indexed queries, a
 * scoring in microseconds, and the model already in memory after the first call per version.
 *
 * A worker without the model store (ActivityDeps.models) pages on the declared severity.
 */
export function createClassifyActivity(deps: { config: ConfigStore; models?: ModelStore }) {
  const classifier = deps.models
    ? new Classifier({
        config: deps.config,
        store: deps.models,
        cache: new ModelCache(deps.models, { onLoad: (m) => log.info('anomaly model loaded', { tenant: m.tenant, version: m.version, loadMs: Math.round(m.loadMs) }) }),
        onModelError: (tenant, err) => log.error('anomaly model failed to load', { tenant, error: err.message }),
      })
    : undefined;
  return async function classifyIncident(args: ClassifyArgs): Promise<Classification> {
    if (!classifier) {
      return { mode: 'off', featureVersion: FEATURE_VERSION, topFeatures: [], effectiveSeverity: args.declaredSeverity, hold: false, reason: 'anomaly scoring not configured on this worker' };
    }
    return classifier.classify(args);
  };
}
