/**
 * Dense autoencoder anomaly model (tfjs layers).
 *
 * Inputs are standardised with the training mean/std (std floored so constant columns do not
 * divide by zero), then d → hidden (relu) → bottleneck (linear) → hidden (relu) → d (linear),
 * trained on MSE with Adam. The raw anomaly measure is the mean squared reconstruction error in
 * standardised units; the score is that error mapped through the empirical CDF of the training
 * errors (calibration.ts), so 0.99 means "reconstructed worse than 99% of the training rows".
 *
 * Training cost is bounded: the number of epochs is chosen so that about `sampleBudget` rows are
 * presented in total (between 1 and maxEpochs epochs); bigger data sets get fewer epochs instead
 * of proportionally longer training. Initialisers are seeded and batches are shuffled with the
 * seeded PRNG, so a given seed and backend reproduce the same weights.
 *
 * Scoring one vector (the per-incident path) runs the forward pass in plain TypeScript on the
 * downloaded weights: a tfjs predict call costs ~0.5 ms of dispatch overhead for a 5k-parameter
 * network, the TS pass a few µs. Batches go through tfjs. Tests check the two agree.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { currentBackend, initBackend } from './backend';
import { EmpiricalCdf } from './calibration';
import { topContributions, type FeatureContribution } from './isolationForest';
import { toMatrix, type Matrix, type MatrixLike } from './matrix';
import { deriveSeed, mulberry32, permutation } from './prng';

export const AUTOENCODER_FORMAT_VERSION = 1;

export interface AutoencoderOptions {
  /** Units of the two hidden layers (default clamp(2·d, 8, 64)). */
  hiddenUnits?: number;
  /** Bottleneck width (default max(2, ceil(d / 4))). */
  bottleneck?: number;
  /** Fixed number of epochs (default: derived from sampleBudget). */
  epochs?: number;
  /** Rows presented in total when epochs is derived (default 300,000). */
  sampleBudget?: number;
  /** Upper bound on derived epochs (default 100). */
  maxEpochs?: number;
  /** Mini-batch size (default 32 below 5,000 rows, else 256). */
  batchSize?: number;
  /** Adam learning rate (default 0.001). */
  learningRate?: number;
  seed?: number;
  /** Smallest std used for standardising, relative to max(1, |mean|) (default 1e-6). */
  stdFloor?: number;
  featureVersion?: number;
}

export interface TrainingSummary {
  epochs: number;
  batchSize: number;
  finalLoss: number;
  seed: number;
}

const tensorJson = z.object({ shape: z.array(z.number().int().positive()), values: z.array(z.number()) });

const autoencoderJsonSchema = z.object({
  format: z.literal('klaxon.autoencoder'),
  version: z.literal(AUTOENCODER_FORMAT_VERSION),
  featureVersion: z.number().int().nullable(),
  nFeatures: z.number().int().positive(),
  hiddenUnits: z.number().int().positive(),
  bottleneck: z.number().int().positive(),
  mean: z.array(z.number()),
  std: z.array(z.number().positive()),
  weights: z.array(tensorJson).length(8),
  calibration: z.object({ quantiles: z.array(z.number()) }),
  training: z.object({
    epochs: z.number().int(),
    batchSize: z.number().int(),
    finalLoss: z.number(),
    seed: z.number().int(),
  }),
});

export type AutoencoderJson = z.infer<typeof autoencoderJsonSchema>;

/** Kernel/bias pairs of the four dense layers, in order, as plain arrays (row-major kernels). */
interface DenseWeights {
  kernels: Float32Array[];
  biases: Float32Array[];
  shapes: Array<[number, number]>;
}

function buildNetwork(d: number, hidden: number, bottleneck: number, seed: number): tf.Sequential {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: deriveSeed(seed, i) });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [d], units: hidden, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: bottleneck, activation: 'linear', kernelInitializer: init(2) }),
      tf.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: init(3) }),
      tf.layers.dense({ units: d, activation: 'linear', kernelInitializer: init(4) }),
    ],
  });
}

/** Make sure one of our backends is active (tfjs would otherwise silently pick its own default). */
async function ensureBackend(): Promise<void> {
  if (currentBackend() === null) await initBackend();
}

export class Autoencoder {
  readonly nFeatures: number;
  readonly hiddenUnits: number;
  readonly bottleneck: number;
  readonly featureVersion: number | null;
  readonly training: TrainingSummary;
  private readonly mean: Float32Array;
  private readonly std: Float32Array;
  private readonly net: tf.Sequential;
  private readonly calibration: EmpiricalCdf;
  private readonly dense: DenseWeights;

  private constructor(init: {
    nFeatures: number;
    hiddenUnits: number;
    bottleneck: number;
    featureVersion: number | null;
    training: TrainingSummary;
    mean: Float32Array;
    std: Float32Array;
    net: tf.Sequential;
    calibration: EmpiricalCdf;
  }) {
    this.nFeatures = init.nFeatures;
    this.hiddenUnits = init.hiddenUnits;
    this.bottleneck = init.bottleneck;
    this.featureVersion = init.featureVersion;
    this.training = init.training;
    this.mean = init.mean;
    this.std = init.std;
    this.net = init.net;
    this.calibration = init.calibration;
    this.dense = Autoencoder.readDense(init.net);
  }

  private static readDense(net: tf.Sequential): DenseWeights {
    const w = net.getWeights();
    const out: DenseWeights = { kernels: [], biases: [], shapes: [] };
    for (let i = 0; i < w.length; i += 2) {
      out.kernels.push(w[i].dataSync() as Float32Array);
      out.biases.push(w[i + 1].dataSync() as Float32Array);
      const [rows, cols] = w[i].shape;
      if (rows === undefined || cols === undefined) throw new Error(`layer ${i / 2} kernel is not 2-D`);
      out.shapes.push([rows, cols]);
    }
    return out;
  }

  /** Fit on the rows of `x` (unsupervised). Uses the active backend, initialising one if needed. */
  static async fit(x: MatrixLike, options: AutoencoderOptions = {}): Promise<Autoencoder> {
    await ensureBackend();
    const m = toMatrix(x);
    const n = m.rows;
    const d = m.cols;
    if (n < 2) throw new RangeError(`autoencoder needs at least 2 rows, got ${n}`);
    if (d < 1) throw new RangeError('autoencoder needs at least 1 feature');
    const seed = options.seed ?? 0;
    const hidden = options.hiddenUnits ?? Math.min(64, Math.max(8, 2 * d));
    const bottleneck = options.bottleneck ?? Math.max(2, Math.ceil(d / 4));
    const batchSize = Math.min(n, options.batchSize ?? (n < 5000 ? 32 : 256));
    const epochs =
      options.epochs ?? Math.max(1, Math.min(options.maxEpochs ?? 100, Math.floor((options.sampleBudget ?? 300_000) / n)));

    const { mean, std } = standardisation(m, options.stdFloor ?? 1e-6);
    const zs = standardise(m, mean, std);
    const net = buildNetwork(d, hidden, bottleneck, seed);
    const optimizer = tf.train.adam(options.learningRate ?? 0.001);
    const rng = mulberry32(deriveSeed(seed, 99));
    const batch = new Float32Array(batchSize * d);
    let finalLoss = NaN;
    try {
      for (let epoch = 0; epoch < epochs; epoch++) {
        const order = permutation(rng, n);
        // The loss is only read back in the last epoch: it is reported, not used for control.
        const isLastEpoch = epoch === epochs - 1;
        let lossSum = 0;
        for (let start = 0; start < n; start += batchSize) {
          const rows = Math.min(batchSize, n - start);
          for (let i = 0; i < rows; i++) batch.set(zs.subarray(order[start + i] * d, (order[start + i] + 1) * d), i * d);
          tf.tidy(() => {
            const xb = tf.tensor2d(batch.subarray(0, rows * d), [rows, d]);
            const cost = optimizer.minimize(() => tf.losses.meanSquaredError(xb, net.apply(xb) as tf.Tensor2D) as tf.Scalar, isLastEpoch);
            if (cost) lossSum += cost.dataSync()[0] * rows;
          });
        }
        if (isLastEpoch) finalLoss = lossSum / n;
      }
    } catch (err) {
      net.dispose();
      throw err;
    } finally {
      optimizer.dispose();
    }

    const training: TrainingSummary = { epochs, batchSize, finalLoss, seed };
    const errors = reconstructionErrorsOf(net, zs, n, d);
    return new Autoencoder({
      nFeatures: d,
      hiddenUnits: hidden,
      bottleneck,
      featureVersion: options.featureVersion ?? null,
      training,
      mean,
      std,
      net,
      calibration: EmpiricalCdf.fit(errors),
    });
  }

  private checkWidth(cols: number): void {
    if (cols !== this.nFeatures) throw new RangeError(`expected ${this.nFeatures} features, got ${cols}`);
  }

  /** Mean squared standardised reconstruction error per row, computed with tfjs. */
  async reconstructionErrors(x: MatrixLike): Promise<Float64Array> {
    await ensureBackend();
    const m = toMatrix(x);
    this.checkWidth(m.cols);
    return reconstructionErrorsOf(this.net, standardise(m, this.mean, this.std), m.rows, m.cols);
  }

  /** Calibrated scores in [0, 1] for every row (tfjs). */
  async scoreBatch(x: MatrixLike): Promise<Float64Array> {
    const errors = await this.reconstructionErrors(x);
    return errors.map((e) => this.calibration.cdf(e));
  }

  /**
   * Per-feature squared reconstruction error of one vector in standardised units (plain TS forward
   * pass, see header). Their mean is the raw reconstruction error.
   */
  contributions(x: ArrayLike<number>): Float64Array {
    this.checkWidth(x.length);
    let a: Float64Array = new Float64Array(this.nFeatures);
    for (let j = 0; j < this.nFeatures; j++) a[j] = (x[j] - this.mean[j]) / this.std[j];
    const input = a;
    const { kernels, biases, shapes } = this.dense;
    for (let l = 0; l < kernels.length; l++) {
      const [rows, cols] = shapes[l];
      const k = kernels[l];
      const out = new Float64Array(cols);
      out.set(biases[l]);
      for (let i = 0; i < rows; i++) {
        const ai = a[i];
        if (ai === 0) continue;
        const base = i * cols;
        for (let j = 0; j < cols; j++) out[j] += ai * k[base + j];
      }
      // Layers 0 and 2 are relu, 1 and 3 linear (see buildNetwork).
      if (l === 0 || l === 2) for (let j = 0; j < cols; j++) if (out[j] < 0) out[j] = 0;
      a = out;
    }
    const sq = new Float64Array(this.nFeatures);
    for (let j = 0; j < this.nFeatures; j++) sq[j] = (a[j] - input[j]) ** 2;
    return sq;
  }

  /** Raw reconstruction error of one vector (plain TS). */
  reconstructionError(x: ArrayLike<number>): number {
    const sq = this.contributions(x);
    let s = 0;
    for (let j = 0; j < sq.length; j++) s += sq[j];
    return s / sq.length;
  }

  /** Calibrated score in [0, 1] of one vector (plain TS). */
  score(x: ArrayLike<number>): number {
    return this.calibration.cdf(this.reconstructionError(x));
  }

  /** Map a raw reconstruction error to [0, 1] through the training-error CDF. */
  calibrate(error: number): number {
    return this.calibration.cdf(error);
  }

  /** Features with the largest share of the squared reconstruction error, largest first. */
  explain(x: ArrayLike<number>, topK = 5): FeatureContribution[] {
    return topContributions(this.contributions(x), topK);
  }

  toJSON(): AutoencoderJson {
    return {
      format: 'klaxon.autoencoder',
      version: AUTOENCODER_FORMAT_VERSION,
      featureVersion: this.featureVersion,
      nFeatures: this.nFeatures,
      hiddenUnits: this.hiddenUnits,
      bottleneck: this.bottleneck,
      mean: Array.from(this.mean),
      std: Array.from(this.std),
      weights: this.dense.kernels.flatMap((k, i) => [
        { shape: [...this.dense.shapes[i]], values: Array.from(k) },
        { shape: [this.dense.biases[i].length], values: Array.from(this.dense.biases[i]) },
      ]),
      calibration: this.calibration.toJSON(),
      training: { ...this.training, finalLoss: Number.isFinite(this.training.finalLoss) ? this.training.finalLoss : -1 },
    };
  }

  /** Load serialised weights (validated; throws on a malformed or incompatible document). */
  static async fromJSON(json: unknown): Promise<Autoencoder> {
    const parsed = autoencoderJsonSchema.safeParse(json);
    if (!parsed.success) throw new Error(`invalid autoencoder weights: ${z.prettifyError(parsed.error)}`);
    const j = parsed.data;
    if (j.mean.length !== j.nFeatures || j.std.length !== j.nFeatures) {
      throw new Error(`invalid autoencoder weights: mean/std length must be nFeatures (${j.nFeatures})`);
    }
    await ensureBackend();
    const net = buildNetwork(j.nFeatures, j.hiddenUnits, j.bottleneck, j.training.seed);
    const expected = net.getWeights().map((w) => w.shape);
    j.weights.forEach((w, i) => {
      const size = w.shape.reduce((a, b) => a * b, 1);
      if (w.shape.join('x') !== expected[i].join('x') || w.values.length !== size) {
        throw new Error(`invalid autoencoder weights: tensor ${i} has shape ${w.shape.join('x')} (${w.values.length} values), expected ${expected[i].join('x')}`);
      }
    });
    const tensors = j.weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
    net.setWeights(tensors);
    tensors.forEach((t) => t.dispose());
    return new Autoencoder({
      nFeatures: j.nFeatures,
      hiddenUnits: j.hiddenUnits,
      bottleneck: j.bottleneck,
      featureVersion: j.featureVersion,
      training: { ...j.training },
      mean: Float32Array.from(j.mean),
      std: Float32Array.from(j.std),
      net,
      calibration: EmpiricalCdf.fromJSON(j.calibration),
    });
  }

  /** Release the tfjs weights. */
  dispose(): void {
    this.net.dispose();
  }
}

/** Column mean and floored std (population), in float64 then stored as float32. */
function standardisation(m: Matrix, floor: number): { mean: Float32Array; std: Float32Array } {
  const { rows, cols, data } = m;
  const mean = new Float64Array(cols);
  const sq = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c];
  for (let c = 0; c < cols; c++) mean[c] /= rows;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const dv = data[r * cols + c] - mean[c];
      sq[c] += dv * dv;
    }
  }
  const std = new Float32Array(cols);
  for (let c = 0; c < cols; c++) std[c] = Math.max(Math.sqrt(sq[c] / rows), floor * Math.max(1, Math.abs(mean[c])));
  return { mean: Float32Array.from(mean), std };
}

function standardise(m: Matrix, mean: Float32Array, std: Float32Array): Float32Array {
  const out = new Float32Array(m.data.length);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) out[r * m.cols + c] = (m.data[r * m.cols + c] - mean[c]) / std[c];
  }
  return out;
}

/** Row-wise mean squared error of net(z) vs z, in chunks to bound memory. */
function reconstructionErrorsOf(net: tf.Sequential, z: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  const chunk = 8192;
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    const err = tf.tidy(() => {
      const xb = tf.tensor2d(z.subarray(start * cols, (start + n) * cols), [n, cols]);
      return tf.squaredDifference(net.apply(xb) as tf.Tensor2D, xb).mean(1);
    });
    out.set(err.dataSync(), start);
    err.dispose();
  }
  return out;
}
