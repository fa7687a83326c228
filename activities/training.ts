import { Context } from '@temporalio/activity';
import type { Ensemble } from '../models/ensemble';
import { FEATURE_VERSION } from '../models/features';
import type { ConfigStore } from '../src/config/store';
import type { ModelStore } from '../src/store/models';
import { modelRetrains } from '../src/metrics';
import { exportDataset, type DatasetMeta, type DatasetSummary } from '../src/anomaly/dataset';
import { holdoutMetrics, patternOutcomes, promotionDecision, timeOrderedSplit, type HoldoutMetrics } from '../src/anomaly/evaluate';
import { trainInChildProcess } from '../src/anomaly/trainerProcess';
import type { TrainingOptions } from '../src/anomaly/trainingOptions';
import type { VectorStyle } from '../src/anomaly/vector';
import { redactorFor } from '../src/audit/redact';

/**
 * The retrain workflow's steps (workflows/retrain.ts): export the training window, fit the
 * isolation forest and the autoencoder (each in a child process, heartbeating progress), evaluate
 * the candidate against the active model on a time-ordered holdout, promote or reject.
 *
 * Big data never travels through workflow history: the exported window is stored with the
 * candidate's registry row (model_training_sets) and the weights in the registry; activities pass
 * ids and small summaries.
 */

export type { TrainingOptions };

export type ResolvedTrainingOptions = Required<Omit<TrainingOptions, 'hiddenUnits' | 'windowDays'>> & { hiddenUnits?: number; windowMs: number };
/** What the registry's `params` holds: the resolved options and the vector style trained on. */
export type ModelParams = ResolvedTrainingOptions & { vectors: VectorStyle };

export type ExportResult =
  | { status: 'cold'; reason: string; rows: number; labelled: number; minTrainingRows: number }
  | { status: 'ready'; modelId: number; version: number; rows: number; labelled: number; trainRows: number; holdoutRows: number; window: { from: string; to: string } };

export interface TrainStepResult {
  ms: number;
  startupMs: number;
  summary: Record<string, unknown>;
}

export interface EvaluationResult {
  promote: boolean;
  reason: string;
  candidate: Pick<HoldoutMetrics, 'rocAuc' | 'averagePrecision' | 'labelled' | 'noiseHolds'>;
  active: { id: number; version: number; rocAuc: number | null } | null;
}

export interface FinishResult {
  outcome: 'promoted' | 'rejected' | 'failed';
  version: number;
  reason: string;
  retiredVersion?: number;
}

/** Training progress as heartbeat details: what the CLI's progress bar shows within a step. */
export interface TrainingHeartbeat {
  step: string;
  done: number;
  total: number;
  message: string;
}

/** Heartbeats every second with the latest progress, so liveness never depends on the work yielding. */
function heartbeater(step: string) {
  const ctx = Context.current();
  let latest: TrainingHeartbeat = { step, done: 0, total: 1, message: step };
  ctx.heartbeat(latest);
  const timer = setInterval(() => ctx.heartbeat(latest), 1000);
  return {
    signal: ctx.cancellationSignal,
    update(done: number, total: number, message: string) {
      latest = { step, done, total, message };
    },
    stop() {
      clearInterval(timer);
    },
  };
}

function resolveOptions(o: TrainingOptions, windowMs: number, trainRows: number): ResolvedTrainingOptions {
  const batchSize = Math.max(1, Math.min(trainRows, o.batchSize ?? (trainRows < 5000 ? 32 : 256)));
  return {
    windowMs: o.windowDays !== undefined ? o.windowDays * 86_400_000 : windowMs,
    maxRows: o.maxRows ?? 200_000,
    holdoutFraction: o.holdoutFraction ?? 0.2,
    seed: o.seed ?? 1,
    nTrees: o.nTrees ?? 100,
    sampleSize: o.sampleSize ?? 256,
    // Same budget rule as models/autoencoder.ts, made explicit so progress can count batches.
    epochs: o.epochs ?? Math.max(1, Math.min(100, Math.floor(300_000 / Math.max(1, trainRows)))),
    batchSize,
    ...(o.hiddenUnits !== undefined ? { hiddenUnits: o.hiddenUnits } : {}),
  };
}

export function createTrainingActivities(deps: { config: ConfigStore; models?: ModelStore }) {
  const store = () => {
    if (!deps.models) throw new Error('anomaly model store not configured for this worker (ActivityDeps.models)');
    return deps.models;
  };
  const tenantConfig = (tenant: string) => {
    const t = deps.config.tenant(tenant);
    if (!t) throw new Error(`unknown tenant ${tenant}`);
    return t.anomaly;
  };

  async function loadSet(modelId: number) {
    const set = await store().loadTrainingSet<DatasetMeta>(modelId);
    if (!set) throw new Error(`training set of model ${modelId} is gone (retrain already finished?)`);
    const version = await store().getVersion(modelId);
    const params = version!.params as unknown as ModelParams;
    return { set, params, version: version!, split: timeOrderedSplit(set.rows, params.holdoutFraction) };
  }

  return {
    /**
     * Exports the tenant's training window from the audit store. Below `minTrainingRows` labelled
     * incidents nothing is created (cold start); otherwise a registry row in status `training`
     * holds the snapshot.
     */
    async exportTrainingWindow(args: { tenant: string; workflowId: string; runId?: string; options?: TrainingOptions }): Promise<ExportResult> {
      const cfg = tenantConfig(args.tenant);
      const hb = heartbeater('export');
      try {
        await store().abandonStale(args.tenant, 6 * 3_600_000);
        const to = new Date();
        const windowMs = args.options?.windowDays !== undefined ? args.options.windowDays * 86_400_000 : cfg.trainingWindow;
        const data = await exportDataset(
          store(),
          {
            tenant: args.tenant,
            from: new Date(to.getTime() - windowMs),
            to,
            transientWithinMs: cfg.transientWithin,
            timeZone: cfg.timeZone,
            minTrainingRows: cfg.minTrainingRows,
            redact: redactorFor(deps.config.tenant(args.tenant)?.privacy),
            maxRows: args.options?.maxRows ?? 200_000,
          },
          (done, total) => hb.update(done, total, `exported ${done} of ${total} incidents`),
        );
        const s: DatasetSummary = data.summary;
        if (s.labelled < cfg.minTrainingRows) {
          return { status: 'cold', reason: `model off: ${s.labelled} of ${cfg.minTrainingRows} training rows`, rows: s.rows, labelled: s.labelled, minTrainingRows: cfg.minTrainingRows };
        }
        const split = timeOrderedSplit(s.rows, args.options?.holdoutFraction ?? 0.2);
        const params = { ...resolveOptions(args.options ?? {}, windowMs, split.train.length), vectors: s.vectors };
        const { id, version } = await store().createVersion({ tenant: args.tenant, featureVersion: FEATURE_VERSION, params, workflowId: args.workflowId, run: args.runId });
        await store().saveTrainingSet(id, { rows: s.rows, dim: data.dim, features: data.features, alt: data.alt, meta: data.meta });
        await store().updateVersion(id, { dataWindow: { ...s, trainRows: split.train.length, holdoutRows: split.holdout.length } });
        return { status: 'ready', modelId: id, version, rows: s.rows, labelled: s.labelled, trainRows: split.train.length, holdoutRows: split.holdout.length, window: { from: s.from, to: s.to } };
      } finally {
        hb.stop();
      }
    },

    /** Fits the isolation forest on the training part, in a child process. */
    async trainIsolationForest(args: { modelId: number }): Promise<TrainStepResult> {
      const { set, params, split } = await loadSet(args.modelId);
      const hb = heartbeater('iforest');
      try {
        const r = await trainInChildProcess(
          { kind: 'iforest', rows: split.train.length, cols: set.dim, data: set.features.slice(0, split.train.length * set.dim), options: { nTrees: params.nTrees, sampleSize: params.sampleSize, seed: params.seed, featureVersion: FEATURE_VERSION } },
          { onProgress: hb.update, signal: hb.signal },
        );
        await store().saveWeights(args.modelId, 'iforest', r.weights);
        await store().updateVersion(args.modelId, { metrics: { iforestTrainMs: Math.round(r.ms) } });
        return { ms: Math.round(r.ms), startupMs: Math.round(r.startupMs), summary: r.summary };
      } finally {
        hb.stop();
      }
    },

    /** Fits the autoencoder on the training part, in a child process. */
    async trainAutoencoder(args: { modelId: number }): Promise<TrainStepResult> {
      const { set, params, split } = await loadSet(args.modelId);
      const hb = heartbeater('autoencoder');
      try {
        const r = await trainInChildProcess(
          {
            kind: 'autoencoder',
            rows: split.train.length,
            cols: set.dim,
            data: set.features.slice(0, split.train.length * set.dim),
            options: { epochs: params.epochs, batchSize: params.batchSize, seed: params.seed, featureVersion: FEATURE_VERSION, ...(params.hiddenUnits ? { hiddenUnits: params.hiddenUnits } : {}) },
          },
          { onProgress: hb.update, signal: hb.signal },
        );
        await store().saveWeights(args.modelId, 'autoencoder', r.weights);
        await store().updateVersion(args.modelId, { metrics: { autoencoderTrainMs: Math.round(r.ms), autoencoderFinalLoss: r.summary.finalLoss as number, backend: r.summary.backend as string }, trained: true });
        return { ms: Math.round(r.ms), startupMs: Math.round(r.startupMs), summary: r.summary };
      } finally {
        hb.stop();
      }
    },

    /**
     * Scores the holdout with the candidate and with the active model, computes the metrics
     * (src/anomaly/evaluate.ts), records them, and says whether to promote.
     */
    async evaluateCandidate(args: { modelId: number }): Promise<EvaluationResult> {
      const { set, split, version, params } = await loadSet(args.modelId);
      const cfg = tenantConfig(version.tenant);
      const hb = heartbeater('evaluate');
      const loaded: Ensemble[] = [];
      try {
        // Required lazily (tfjs): see src/anomaly/modelCache.ts.
        const { Ensemble, ENSEMBLE_FORMAT_VERSION } = require('../models/ensemble') as typeof import('../models/ensemble');
        const start = split.train.length * set.dim;
        const holdoutIn = (style: VectorStyle): Float32Array | null =>
          style === params.vectors ? set.features.subarray(start) : style === 'reconstructed' && set.alt ? set.alt.subarray(start) : null;
        const asMatrix = (data: Float32Array) => ({ data, rows: split.holdout.length, cols: set.dim });
        const patterns = patternOutcomes(split.train, set.meta);
        const weights = await store().loadWeights(args.modelId);
        const candidate = await Ensemble.fromJSON({ format: 'klaxon.ensemble', version: ENSEMBLE_FORMAT_VERSION, featureVersion: FEATURE_VERSION, iforest: weights!.iforest, autoencoder: weights!.autoencoder });
        loaded.push(candidate);
        hb.update(1, 3, `scoring ${split.holdout.length} holdout incidents with v${version.version}`);
        const mine = holdoutMetrics(await candidate.scoreBatch(asMatrix(holdoutIn(params.vectors)!)), split.holdout, set.meta, patterns, cfg);

        // The active model is scored on the same holdout incidents, in the vector style it was trained on.
        let active: (HoldoutMetrics & { version: number; id: number }) | null = null;
        let incomparable: string | undefined;
        const current = await store().activeVersion(version.tenant);
        const currentStyle = ((current?.params as Partial<ModelParams> | undefined)?.vectors ?? 'recorded') as VectorStyle;
        if (current && current.featureVersion !== FEATURE_VERSION) incomparable = `active v${current.version} uses feature version ${current.featureVersion}`;
        else if (current && !holdoutIn(currentStyle)) incomparable = `active v${current.version} scores ${currentStyle} vectors, which this window has too few of`;
        else if (current) {
          hb.update(2, 3, `scoring the holdout with active v${current.version}`);
          const w = await store().loadWeights(current.id);
          const ens = await Ensemble.fromJSON({ format: 'klaxon.ensemble', version: ENSEMBLE_FORMAT_VERSION, featureVersion: w!.featureVersion, iforest: w!.iforest, autoencoder: w!.autoencoder });
          loaded.push(ens);
          active = { ...holdoutMetrics(await ens.scoreBatch(asMatrix(holdoutIn(currentStyle)!)), split.holdout, set.meta, patterns, cfg), version: current.version, id: current.id };
        }
        const ruled = promotionDecision(mine, active, cfg.mode);
        const decision = incomparable ? { ...ruled, reason: `${ruled.reason} (${incomparable})` } : ruled;
        await store().updateVersion(args.modelId, {
          status: 'candidate',
          metrics: { holdout: mine, ...(active ? { activeOnHoldout: { ...active, id: undefined } } : {}), decision: decision.reason },
        });
        hb.update(3, 3, decision.reason);
        return {
          promote: decision.promote,
          reason: decision.reason,
          candidate: { rocAuc: mine.rocAuc, averagePrecision: mine.averagePrecision, labelled: mine.labelled, noiseHolds: mine.noiseHolds },
          active: active ? { id: active.id, version: active.version, rocAuc: active.rocAuc } : current ? { id: current.id, version: current.version, rocAuc: null } : null,
        };
      } finally {
        for (const e of loaded) e.dispose();
        hb.stop();
      }
    },

    /**
     * Ends a retrain: promotes the candidate (if evaluation said so and the active model is still
     * the one it was compared with), or marks it rejected / failed; drops the training snapshot.
     */
    async finishRetrain(args: { modelId: number; promote: boolean; reason: string; expectedActive: number | null; failed?: boolean }): Promise<FinishResult> {
      const s = store();
      const version = (await s.getVersion(args.modelId))!;
      // A retry of a finish that already happened finds the version finished: it counts nothing.
      const unfinished = version.status === 'training' || version.status === 'candidate';
      let result: FinishResult;
      if (args.failed) {
        await s.updateVersion(args.modelId, { status: 'failed', reason: args.reason });
        result = { outcome: 'failed', version: version.version, reason: args.reason };
      } else if (args.promote) {
        const p = await s.promote(args.modelId, args.expectedActive);
        if (p.ok) {
          const retired = p.retired !== null ? (await s.getVersion(p.retired))?.version : undefined;
          await s.updateVersion(args.modelId, { reason: args.reason });
          result = { outcome: 'promoted', version: version.version, reason: args.reason, ...(retired !== undefined ? { retiredVersion: retired } : {}) };
        } else {
          await s.updateVersion(args.modelId, { status: 'rejected', reason: p.reason });
          result = { outcome: 'rejected', version: version.version, reason: p.reason };
        }
      } else {
        await s.updateVersion(args.modelId, { status: 'rejected', reason: args.reason });
        result = { outcome: 'rejected', version: version.version, reason: args.reason };
      }
      await s.deleteTrainingSet(args.modelId);
      if (unfinished) modelRetrains.inc({ tenant: version.tenant, outcome: result.outcome });
      return result;
    },
  };
}
