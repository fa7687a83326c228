/**
 * Ensemble of the isolation forest and the autoencoder.
 *
 * The two raw scores live on unrelated scales (2^(−E[h]/c(ψ)) vs a reconstruction error), so each
 * is first calibrated to [0, 1] through the empirical CDF of that model's scores on its own training
 * data (calibration.ts): "this incident looks more unusual than p% of the training incidents". The
 * ensemble score is the plain mean of the two calibrated scores, so it is also in [0, 1] and a score
 * near 1 needs both models to agree that the point is rare. No weights are learnt: the models are
 * trained without labels, and an equal-weight mean of calibrated ranks is the standard unsupervised
 * combination.
 *
 * Explanations average the two models' per-feature contributions after normalising each to sum 1.
 */
import { z } from 'zod';
import { Autoencoder, type AutoencoderOptions } from './autoencoder';
import { IsolationForest, topContributions, type FeatureContribution, type IsolationForestOptions } from './isolationForest';
import { toMatrix, type MatrixLike } from './matrix';

export const ENSEMBLE_FORMAT_VERSION = 1;

export interface EnsembleOptions {
  /** Seed for both members (default 0). */
  seed?: number;
  featureVersion?: number;
  iforest?: Omit<IsolationForestOptions, 'seed' | 'featureVersion' | 'calibrate'>;
  autoencoder?: Omit<AutoencoderOptions, 'seed' | 'featureVersion'>;
}

const ensembleJsonSchema = z.object({
  format: z.literal('klaxon.ensemble'),
  version: z.literal(ENSEMBLE_FORMAT_VERSION),
  featureVersion: z.number().int().nullable(),
  iforest: z.unknown(),
  autoencoder: z.unknown(),
});

export interface EnsembleJson {
  format: 'klaxon.ensemble';
  version: typeof ENSEMBLE_FORMAT_VERSION;
  featureVersion: number | null;
  iforest: ReturnType<IsolationForest['toJSON']>;
  autoencoder: ReturnType<Autoencoder['toJSON']>;
}

function normalised(v: Float64Array): Float64Array {
  let total = 0;
  for (let i = 0; i < v.length; i++) total += v[i];
  return total > 0 ? v.map((x) => x / total) : v;
}

export class Ensemble {
  private constructor(
    readonly iforest: IsolationForest,
    readonly autoencoder: Autoencoder,
    readonly featureVersion: number | null,
  ) {
    if (iforest.nFeatures !== autoencoder.nFeatures) {
      throw new Error(`ensemble members disagree on the feature count (${iforest.nFeatures} vs ${autoencoder.nFeatures})`);
    }
    if (!iforest.isCalibrated) throw new Error('ensemble needs a calibrated isolation forest');
  }

  get nFeatures(): number {
    return this.iforest.nFeatures;
  }

  static async fit(x: MatrixLike, options: EnsembleOptions = {}): Promise<Ensemble> {
    const m = toMatrix(x);
    const seed = options.seed ?? 0;
    const featureVersion = options.featureVersion;
    const iforest = IsolationForest.fit(m, { ...options.iforest, seed, featureVersion, calibrate: true });
    const autoencoder = await Autoencoder.fit(m, { ...options.autoencoder, seed, featureVersion });
    return new Ensemble(iforest, autoencoder, featureVersion ?? null);
  }

  /** Combine separately trained members (the forest must be calibrated; feature counts must match). */
  static fromMembers(iforest: IsolationForest, autoencoder: Autoencoder): Ensemble {
    return new Ensemble(iforest, autoencoder, iforest.featureVersion ?? autoencoder.featureVersion);
  }

  /** Ensemble score in [0, 1] of one vector. */
  score(x: ArrayLike<number>): number {
    return (this.iforest.calibratedScore(x) + this.autoencoder.score(x)) / 2;
  }

  /** Ensemble scores of every row. */
  async scoreBatch(x: MatrixLike): Promise<Float64Array> {
    const m = toMatrix(x);
    const forest = this.iforest.scoreBatch(m);
    const ae = await this.autoencoder.scoreBatch(m);
    return forest.map((s, i) => (this.iforest.calibrate(s) + ae[i]) / 2);
  }

  /** Features that make `x` unusual according to both members, largest share first. */
  explain(x: ArrayLike<number>, topK = 5): FeatureContribution[] {
    const a = normalised(this.iforest.contributions(x));
    const b = normalised(this.autoencoder.contributions(x));
    return topContributions(a.map((v, i) => (v + b[i]) / 2), topK);
  }

  toJSON(): EnsembleJson {
    return {
      format: 'klaxon.ensemble',
      version: ENSEMBLE_FORMAT_VERSION,
      featureVersion: this.featureVersion,
      iforest: this.iforest.toJSON(),
      autoencoder: this.autoencoder.toJSON(),
    };
  }

  static async fromJSON(json: unknown): Promise<Ensemble> {
    const parsed = ensembleJsonSchema.safeParse(json);
    if (!parsed.success) throw new Error(`invalid ensemble weights: ${z.prettifyError(parsed.error)}`);
    const iforest = IsolationForest.fromJSON(parsed.data.iforest);
    const autoencoder = await Autoencoder.fromJSON(parsed.data.autoencoder);
    return new Ensemble(iforest, autoencoder, parsed.data.featureVersion);
  }

  dispose(): void {
    this.autoencoder.dispose();
  }
}
