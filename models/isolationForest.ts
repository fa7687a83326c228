/**
 * Isolation forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008).
 *
 * Training: t trees, each grown on a subsample of ψ = min(sampleSize, n) rows drawn without
 * replacement, to height limit l = ceil(log2 ψ). At each node a random attribute q and a split value
 * p drawn uniformly from [min, max) of q in the node's sample; rows with x[q] < p go left. A node is
 * external when it reaches l, holds <= 1 row, or all its rows are identical. Attributes that are
 * constant within the node are skipped when drawing q (the paper's split would put every row on one
 * side and only waste depth; this is also what scikit-learn does).
 *
 * Scoring: h(x) = number of edges from the root to the external node x falls into, plus c(size)
 * for the unbuilt subtree when that node held size > 1 training rows; s(x) = 2^(−E[h(x)] / c(ψ)).
 * Scores near 1 are anomalies; well below 0.5 are normal.
 *
 * Trees are stored flat (typed arrays, right child = left child + 1) so scoring is a tight loop
 * with no allocation. bench/models.ts compares it with the tfjs version (isolationForestTf.ts) on
 * 2 cores, 100 trees, 32 features: 20k rows in ~0.17 s plain TS vs ~10 s tfjs-wasm (~12 s tfjs-cpu),
 * one vector in ~4 µs p50 / 7 µs p99 vs ~0.8 ms / 10-20 ms. The plain scorer is the default; the tfjs
 * one is kept for comparison (its per-level gathers over rows × trees cost far more than the walk).
 */
import { z } from 'zod';
import { EmpiricalCdf, type CalibrationJson } from './calibration';
import { toMatrix, type Matrix, type MatrixLike } from './matrix';
import { mulberry32, randInt, sampleWithoutReplacement, type Rng } from './prng';

export const EULER_GAMMA = 0.5772156649;

/** Serialisation format version of IsolationForestJson; bump on incompatible changes. */
export const IFOREST_FORMAT_VERSION = 1;

/**
 * c(n): average path length of an unsuccessful search in a binary search tree of n nodes, used to
 * normalise path lengths. c(n) = 2H(n−1) − 2(n−1)/n with H(i) ≈ ln(i) + γ; c(2) = 1, c(0) = c(1) = 0.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export interface IsolationForestOptions {
  /** Number of trees t (default 100). */
  nTrees?: number;
  /** Subsample size ψ per tree (default 256; min(ψ, rows) is used). */
  sampleSize?: number;
  /** PRNG seed (default 0). Same seed + same data = identical model. */
  seed?: number;
  /** Feature version the model was trained on, recorded in the serialised weights. */
  featureVersion?: number;
  /** Calibrate on the training scores (default true; needed by the ensemble). */
  calibrate?: boolean;
}

/** Flat tree storage; node ids index all arrays; trees are concatenated, `roots[t]` is tree t's root. */
export interface ForestArrays {
  roots: Int32Array;
  /** Split attribute, or -1 for an external node. */
  feature: Int32Array;
  /** Split value (float32 like the data); rows with x[feature] >= threshold go right. */
  threshold: Float32Array;
  /** Left child id (right child is left + 1); -1 for external nodes. */
  left: Int32Array;
  /** Number of training (subsample) rows that reached the node. */
  size: Int32Array;
}

export interface FeatureContribution {
  feature: number;
  weight: number;
}

const forestJsonSchema = z.object({
  format: z.literal('klaxon.iforest'),
  version: z.literal(IFOREST_FORMAT_VERSION),
  featureVersion: z.number().int().nullable(),
  nFeatures: z.number().int().positive(),
  nTrees: z.number().int().positive(),
  sampleSize: z.number().int().min(2),
  heightLimit: z.number().int().nonnegative(),
  seed: z.number().int().nullable(),
  trees: z.object({
    roots: z.array(z.number().int()),
    feature: z.array(z.number().int()),
    threshold: z.array(z.number()),
    left: z.array(z.number().int()),
    size: z.array(z.number().int().nonnegative()),
  }),
  calibration: z.object({ quantiles: z.array(z.number()) }).nullable(),
});

export type IsolationForestJson = z.infer<typeof forestJsonSchema>;

/** Growable node storage used while building. */
class NodeBuilder {
  feature: number[] = [];
  threshold: number[] = [];
  left: number[] = [];
  size: number[] = [];

  add(size: number): number {
    this.feature.push(-1);
    this.threshold.push(0);
    this.left.push(-1);
    this.size.push(size);
    return this.size.length - 1;
  }
}

function buildTree(
  x: Matrix,
  idx: Int32Array,
  lo: number,
  hi: number,
  depth: number,
  heightLimit: number,
  rng: Rng,
  nodes: NodeBuilder,
  nodeId: number,
  mins: Float32Array,
  maxs: Float32Array,
  candidates: Int32Array,
): void {
  const n = hi - lo;
  if (depth >= heightLimit || n <= 1) return;
  const d = x.cols;
  const data = x.data;
  mins.fill(Infinity);
  maxs.fill(-Infinity);
  for (let i = lo; i < hi; i++) {
    const base = idx[i] * d;
    for (let j = 0; j < d; j++) {
      const v = data[base + j];
      if (v < mins[j]) mins[j] = v;
      if (v > maxs[j]) maxs[j] = v;
    }
  }
  let nc = 0;
  for (let j = 0; j < d; j++) if (maxs[j] > mins[j]) candidates[nc++] = j;
  if (nc === 0) return; // all rows identical: cannot be separated further

  const q = candidates[randInt(rng, nc)];
  // Uniform in [min, max); rounded to float32 because the data is float32 (shared with tfjs scoring).
  let p = Math.fround(mins[q] + rng() * (maxs[q] - mins[q]));
  if (p > maxs[q]) p = maxs[q];

  // Partition idx[lo, hi) into x[q] < p | x[q] >= p.
  let i = lo;
  let j = hi - 1;
  while (i <= j) {
    if (data[idx[i] * d + q] < p) i++;
    else {
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
      j--;
    }
  }
  const leftId = nodes.add(i - lo);
  nodes.add(hi - i);
  nodes.feature[nodeId] = q;
  nodes.threshold[nodeId] = p;
  nodes.left[nodeId] = leftId;
  buildTree(x, idx, lo, i, depth + 1, heightLimit, rng, nodes, leftId, mins, maxs, candidates);
  buildTree(x, idx, i, hi, depth + 1, heightLimit, rng, nodes, leftId + 1, mins, maxs, candidates);
}

export class IsolationForest {
  readonly nFeatures: number;
  readonly nTrees: number;
  /** ψ actually used, min(sampleSize, training rows). */
  readonly sampleSize: number;
  readonly heightLimit: number;
  readonly seed: number | null;
  readonly featureVersion: number | null;
  readonly trees: ForestArrays;
  /** h contribution of each external node: depth + c(size); NaN for internal nodes. */
  readonly leafValue: Float64Array;
  /** c(ψ), the path length normaliser. */
  readonly normaliser: number;
  private readonly calibration: EmpiricalCdf | null;

  private constructor(init: {
    nFeatures: number;
    sampleSize: number;
    heightLimit: number;
    seed: number | null;
    featureVersion: number | null;
    trees: ForestArrays;
    calibration: EmpiricalCdf | null;
  }) {
    this.nFeatures = init.nFeatures;
    this.nTrees = init.trees.roots.length;
    this.sampleSize = init.sampleSize;
    this.heightLimit = init.heightLimit;
    this.seed = init.seed;
    this.featureVersion = init.featureVersion;
    this.trees = init.trees;
    this.calibration = init.calibration;
    this.normaliser = averagePathLength(init.sampleSize);
    this.leafValue = IsolationForest.computeLeafValues(init.trees, init.nFeatures);
  }

  /** Walk every tree once: validates structure and records depth + c(size) at external nodes. */
  private static computeLeafValues(t: ForestArrays, nFeatures: number): Float64Array {
    const n = t.feature.length;
    if (t.threshold.length !== n || t.left.length !== n || t.size.length !== n) {
      throw new RangeError('forest arrays have different lengths');
    }
    const value = new Float64Array(n).fill(NaN);
    const visited = new Uint8Array(n);
    const stack: Array<[number, number]> = [];
    for (const root of t.roots) stack.push([root, 0]);
    while (stack.length > 0) {
      const [node, depth] = stack.pop()!;
      if (node < 0 || node >= n || visited[node]) throw new RangeError(`forest node ${node} is out of range or shared`);
      visited[node] = 1;
      const f = t.feature[node];
      if (f < 0) {
        value[node] = depth + averagePathLength(t.size[node]);
      } else {
        if (f >= nFeatures) throw new RangeError(`forest node ${node} splits on feature ${f} of ${nFeatures}`);
        stack.push([t.left[node], depth + 1], [t.left[node] + 1, depth + 1]);
      }
    }
    return value;
  }

  /** Fit on rows of `x` (unsupervised). Requires at least 2 rows. */
  static fit(x: MatrixLike, options: IsolationForestOptions = {}): IsolationForest {
    const m = toMatrix(x);
    const nTrees = options.nTrees ?? 100;
    const seed = options.seed ?? 0;
    if (!Number.isInteger(nTrees) || nTrees < 1) throw new RangeError(`nTrees must be a positive integer, got ${nTrees}`);
    if (m.rows < 2) throw new RangeError(`isolation forest needs at least 2 rows, got ${m.rows}`);
    if (m.cols < 1) throw new RangeError('isolation forest needs at least 1 feature');
    const psi = Math.min(options.sampleSize ?? 256, m.rows);
    if (!Number.isInteger(psi) || psi < 2) throw new RangeError(`sampleSize must be an integer >= 2, got ${options.sampleSize}`);
    const heightLimit = Math.ceil(Math.log2(psi));
    const rng = mulberry32(seed);
    const nodes = new NodeBuilder();
    const roots: number[] = [];
    const mins = new Float32Array(m.cols);
    const maxs = new Float32Array(m.cols);
    const candidates = new Int32Array(m.cols);
    const scratch = new Int32Array(m.rows);
    for (let t = 0; t < nTrees; t++) {
      const idx = sampleWithoutReplacement(rng, m.rows, psi, scratch);
      const root = nodes.add(psi);
      roots.push(root);
      buildTree(m, idx, 0, psi, 0, heightLimit, rng, nodes, root, mins, maxs, candidates);
    }
    const forest = new IsolationForest({
      nFeatures: m.cols,
      sampleSize: psi,
      heightLimit,
      seed,
      featureVersion: options.featureVersion ?? null,
      trees: {
        roots: Int32Array.from(roots),
        feature: Int32Array.from(nodes.feature),
        threshold: Float32Array.from(nodes.threshold),
        left: Int32Array.from(nodes.left),
        size: Int32Array.from(nodes.size),
      },
      calibration: null,
    });
    if (options.calibrate === false) return forest;
    return forest.withCalibration(EmpiricalCdf.fit(forest.scoreBatch(m)));
  }

  private withCalibration(calibration: EmpiricalCdf): IsolationForest {
    return new IsolationForest({
      nFeatures: this.nFeatures,
      sampleSize: this.sampleSize,
      heightLimit: this.heightLimit,
      seed: this.seed,
      featureVersion: this.featureVersion,
      trees: this.trees,
      calibration,
    });
  }

  private checkWidth(x: ArrayLike<number>): void {
    if (x.length !== this.nFeatures) throw new RangeError(`expected ${this.nFeatures} features, got ${x.length}`);
  }

  /** External node that `x` reaches in tree `t` (x[offset .. offset + nFeatures) is the point). */
  private leafOf(t: number, x: ArrayLike<number>, offset: number): number {
    const { feature, threshold, left } = this.trees;
    let node = this.trees.roots[t];
    let f = feature[node];
    while (f >= 0) {
      node = x[offset + f] >= threshold[node] ? left[node] + 1 : left[node];
      f = feature[node];
    }
    return node;
  }

  /** E[h(x)], the path length averaged over trees. */
  pathLength(x: ArrayLike<number>): number {
    this.checkWidth(x);
    return this.meanPath(x, 0);
  }

  private meanPath(x: ArrayLike<number>, offset: number): number {
    let sum = 0;
    for (let t = 0; t < this.nTrees; t++) sum += this.leafValue[this.leafOf(t, x, offset)];
    return sum / this.nTrees;
  }

  /** Anomaly score s(x) = 2^(−E[h(x)] / c(ψ)) in (0, 1]. */
  score(x: ArrayLike<number>): number {
    return Math.pow(2, -this.pathLength(x) / this.normaliser);
  }

  /** Scores for every row (plain TypeScript, the default batch scorer). */
  scoreBatch(x: MatrixLike): Float64Array {
    const m = toMatrix(x);
    if (m.cols !== this.nFeatures) throw new RangeError(`expected ${this.nFeatures} features, got ${m.cols}`);
    // Tree-major order: one tree's nodes stay hot in cache while every row passes through it
    // (~1.4x faster than scoring row by row on 100k x 32).
    const sum = new Float64Array(m.rows);
    const { roots, feature, threshold, left } = this.trees;
    const leafValue = this.leafValue;
    const data = m.data;
    const d = m.cols;
    for (let t = 0; t < this.nTrees; t++) {
      const root = roots[t];
      for (let r = 0, off = 0; r < m.rows; r++, off += d) {
        let node = root;
        let f = feature[node];
        while (f >= 0) {
          node = left[node] + (data[off + f] >= threshold[node] ? 1 : 0);
          f = feature[node];
        }
        sum[r] += leafValue[node];
      }
    }
    for (let r = 0; r < m.rows; r++) sum[r] = Math.pow(2, -sum[r] / this.nTrees / this.normaliser);
    return sum;
  }

  get isCalibrated(): boolean {
    return this.calibration !== null;
  }

  /** Map a raw score through the training-score CDF to [0, 1] (see calibration.ts). */
  calibrate(rawScore: number): number {
    if (!this.calibration) throw new Error('isolation forest has no calibration (fit with calibrate: true)');
    return this.calibration.cdf(rawScore);
  }

  /** Calibrated score of one vector. */
  calibratedScore(x: ArrayLike<number>): number {
    return this.calibrate(this.score(x));
  }

  /**
   * Which features isolate `x`. For each tree, every split on x's path credits its feature with
   * the fraction of the node's sample that the split separated from x (1 − |child| / |node|), scaled
   * by 1/h(x) for that tree so trees that isolate x early count more. Weights are averaged over
   * trees and normalised to sum to 1; the topK largest (> 0) are returned, largest first.
   */
  explain(x: ArrayLike<number>, topK = 5): FeatureContribution[] {
    return topContributions(this.contributions(x), topK);
  }

  /** Per-feature isolation credit of `x` (see explain), not normalised; length nFeatures. */
  contributions(x: ArrayLike<number>): Float64Array {
    this.checkWidth(x);
    const { roots, feature, threshold, left, size } = this.trees;
    const credit = new Float64Array(this.nFeatures);
    const pathNodes: number[] = [];
    for (let t = 0; t < this.nTrees; t++) {
      pathNodes.length = 0;
      let node = roots[t];
      while (feature[node] >= 0) {
        pathNodes.push(node);
        node = x[feature[node]] >= threshold[node] ? left[node] + 1 : left[node];
      }
      const h = this.leafValue[node];
      if (h <= 0) continue;
      for (let i = 0; i < pathNodes.length; i++) {
        const parent = pathNodes[i];
        const child = i + 1 < pathNodes.length ? pathNodes[i + 1] : node;
        credit[feature[parent]] += (1 - size[child] / size[parent]) / h;
      }
    }
    for (let f = 0; f < credit.length; f++) credit[f] /= this.nTrees;
    return credit;
  }

  toJSON(): IsolationForestJson {
    return {
      format: 'klaxon.iforest',
      version: IFOREST_FORMAT_VERSION,
      featureVersion: this.featureVersion,
      nFeatures: this.nFeatures,
      nTrees: this.nTrees,
      sampleSize: this.sampleSize,
      heightLimit: this.heightLimit,
      seed: this.seed,
      trees: {
        roots: Array.from(this.trees.roots),
        feature: Array.from(this.trees.feature),
        threshold: Array.from(this.trees.threshold),
        left: Array.from(this.trees.left),
        size: Array.from(this.trees.size),
      },
      calibration: this.calibration ? (this.calibration.toJSON() as CalibrationJson) : null,
    };
  }

  /** Load serialised weights (validated; throws on a malformed or incompatible document). */
  static fromJSON(json: unknown): IsolationForest {
    const parsed = forestJsonSchema.safeParse(json);
    if (!parsed.success) throw new Error(`invalid isolation forest weights: ${z.prettifyError(parsed.error)}`);
    const j = parsed.data;
    if (j.trees.roots.length !== j.nTrees) throw new Error(`invalid isolation forest weights: ${j.trees.roots.length} roots for ${j.nTrees} trees`);
    return new IsolationForest({
      nFeatures: j.nFeatures,
      sampleSize: j.sampleSize,
      heightLimit: j.heightLimit,
      seed: j.seed,
      featureVersion: j.featureVersion,
      trees: {
        roots: Int32Array.from(j.trees.roots),
        feature: Int32Array.from(j.trees.feature),
        threshold: Float32Array.from(j.trees.threshold),
        left: Int32Array.from(j.trees.left),
        size: Int32Array.from(j.trees.size),
      },
      calibration: j.calibration ? EmpiricalCdf.fromJSON(j.calibration) : null,
    });
  }
}

/** Normalise non-negative per-feature weights to sum 1 and return the topK positive ones. */
export function topContributions(weights: ArrayLike<number>, topK: number): FeatureContribution[] {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  const out: FeatureContribution[] = [];
  if (!(total > 0)) return out;
  for (let i = 0; i < weights.length; i++) if (weights[i] > 0) out.push({ feature: i, weight: weights[i] / total });
  out.sort((a, b) => b.weight - a.weight || a.feature - b.feature);
  return out.slice(0, Math.max(0, topK));
}
