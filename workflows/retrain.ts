import { ApplicationFailure, CancellationScope, defineQuery, isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { KlaxonActivities } from '../activities';
import type { EvaluationResult, TrainingOptions } from '../activities/training';

// Export, evaluation and promotion read and write the store; seconds to a few minutes.
const { exportTrainingWindow, evaluateCandidate, finishRetrain } = proxyActivities<KlaxonActivities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumAttempts: 3 },
});

// Model fits run in a child process while the activity heartbeats every second; a short heartbeat
// timeout makes a lost worker visible quickly and keeps heartbeat details (progress) fresh (the SDK
// sends them at most every 0.8 × heartbeatTimeout).
const { trainIsolationForest, trainAutoencoder } = proxyActivities<KlaxonActivities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '5s',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumAttempts: 3 },
});

export interface RetrainInput {
  tenant: string;
  trigger: 'schedule' | 'manual';
  options?: TrainingOptions;
}

export const RETRAIN_STEPS = ['export', 'iforest', 'autoencoder', 'evaluate', 'promote'] as const;
export type RetrainStep = (typeof RETRAIN_STEPS)[number];

export interface RetrainResult {
  outcome: 'promoted' | 'rejected' | 'skipped';
  reason: string;
  version?: number;
  retiredVersion?: number;
  rows?: number;
  labelled?: number;
  metrics?: EvaluationResult['candidate'];
  active?: EvaluationResult['active'];
}

export interface RetrainProgress {
  tenant: string;
  step: RetrainStep | 'done';
  /** 0-based position of `step` in RETRAIN_STEPS (RETRAIN_STEPS.length when done). */
  stepIndex: number;
  steps: readonly RetrainStep[];
  message: string;
  version?: number;
  result?: RetrainResult;
}

export const RETRAIN_WORKFLOW = 'retrainWorkflow';
export const retrainProgressQuery = defineQuery<RetrainProgress>('progress');

/** Workflow id prefix of a tenant's retrains (scheduled and manual). */
export function retrainWorkflowIdPrefix(tenant: string): string {
  return `retrain/${tenant}/`;
}

/**
 * Retrains a tenant's anomaly model:
 * export the training window → (cold start: stop and say so) → fit the isolation forest → fit the
 * autoencoder → evaluate on the newest incidents against the active model → promote if not worse,
 * else keep the active one. Every version, promoted or not, stays in the registry with its metrics.
 */
export async function retrainWorkflow(input: RetrainInput): Promise<RetrainResult> {
  const progress: RetrainProgress = { tenant: input.tenant, step: 'export', stepIndex: 0, steps: RETRAIN_STEPS, message: 'exporting the training window' };
  setHandler(retrainProgressQuery, () => progress);
  const at = (step: RetrainStep, message: string) => Object.assign(progress, { step, stepIndex: RETRAIN_STEPS.indexOf(step), message });
  const done = (result: RetrainResult) => {
    Object.assign(progress, { step: 'done', stepIndex: RETRAIN_STEPS.length, message: result.reason, result });
    return result;
  };

  const { workflowId, runId } = workflowInfo();
  const exported = await exportTrainingWindow({ tenant: input.tenant, workflowId, runId, options: input.options });
  if (exported.status === 'cold') return done({ outcome: 'skipped', reason: exported.reason, rows: exported.rows, labelled: exported.labelled });

  const { modelId, version } = exported;
  progress.version = version;
  try {
    at('iforest', `v${version}: fitting the isolation forest on ${exported.trainRows} incidents`);
    await trainIsolationForest({ modelId });
    at('autoencoder', `v${version}: fitting the autoencoder on ${exported.trainRows} incidents`);
    await trainAutoencoder({ modelId });
    at('evaluate', `v${version}: evaluating on the newest ${exported.holdoutRows} incidents`);
    const evaluation = await evaluateCandidate({ modelId });
    at('promote', evaluation.promote ? `v${version}: promoting` : `v${version}: keeping the active model`);
    const finished = await finishRetrain({ modelId, promote: evaluation.promote, reason: evaluation.reason, expectedActive: evaluation.active?.id ?? null });
    return done({
      outcome: finished.outcome === 'promoted' ? 'promoted' : 'rejected',
      reason: finished.reason,
      version,
      ...(finished.retiredVersion !== undefined ? { retiredVersion: finished.retiredVersion } : {}),
      rows: exported.rows,
      labelled: exported.labelled,
      metrics: evaluation.candidate,
      active: evaluation.active,
    });
  } catch (err) {
    // Leave the registry truthful (version failed, snapshot dropped), even when cancelled.
    const cancelled = isCancellation(err);
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    const reason = cancelled ? `cancelled during ${progress.step}` : `${progress.step} failed: ${cause}`;
    await CancellationScope.nonCancellable(() => finishRetrain({ modelId, promote: false, reason, expectedActive: null, failed: true }));
    if (cancelled) throw err;
    throw ApplicationFailure.create({ message: `retrain v${version} of ${input.tenant}: ${reason}`, nonRetryable: true, cause: err as Error });
  }
}
