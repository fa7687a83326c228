import { describeProgress, describeResult, progressBar } from '../../../src/cli/commands/model';
import { RETRAIN_STEPS } from '../../../workflows/retrain';

describe('klaxon model retrain progress', () => {
  test('the bar combines the workflow step with the running activity heartbeat', () => {
    const s = {
      workflowId: 'retrain/t/manual',
      status: 'RUNNING',
      progress: { tenant: 't', step: 'autoencoder' as const, stepIndex: 2, steps: RETRAIN_STEPS, message: 'v3: fitting the autoencoder on 800 incidents', version: 3 },
      activity: { type: 'trainAutoencoder', attempt: 1, heartbeat: { step: 'autoencoder', done: 50, total: 100, message: 'autoencoder: 50 of 100 batches' } },
    };
    expect(describeProgress(s)).toEqual({ fraction: 0.5, text: 'v3: autoencoder: 50 of 100 batches' });
    expect(progressBar(0.5, 10)).toBe('[#####.....]  50%');
  });

  test("a heartbeat from another step, or the step's first one, leaves the workflow's message", () => {
    const progress = { tenant: 't', step: 'evaluate' as const, stepIndex: 3, steps: RETRAIN_STEPS, message: 'v3: evaluating on the newest 200 incidents', version: 3 };
    expect(describeProgress({ workflowId: 'w', status: 'RUNNING', progress, activity: { heartbeat: { step: 'autoencoder', done: 100, total: 100, message: 'x' } } })).toEqual({
      fraction: 0.6,
      text: 'v3: evaluating on the newest 200 incidents',
    });
  });

  test('results read as one sentence', () => {
    expect(describeResult({ outcome: 'skipped', reason: 'model off: 37 of 200 training rows' })).toBe('no model trained: model off: 37 of 200 training rows');
    expect(
      describeResult({ outcome: 'promoted', reason: 'ROC AUC 0.810 ≥ 0.790 of v2', version: 3, retiredVersion: 2, metrics: { rocAuc: 0.81, averagePrecision: 0.7, labelled: 120, noiseHolds: { would: 0, labelled: 0, laterActionable: 0, precision: null } } }),
    ).toBe('v3 promoted, v2 retired: ROC AUC 0.810 ≥ 0.790 of v2 (holdout ROC AUC 0.810, 120 labelled)');
  });
});
