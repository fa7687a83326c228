/**
 * tfjs-vectorised isolation forest scoring, kept as the alternative to the plain TypeScript scorer
 * in isolationForest.ts (which bench/models.ts measured to be faster, so it is the default).
 *
 * Every tree is padded to a perfect binary tree of depth D = heightLimit in heap layout (children of
 * node i are 2i+1 and 2i+2). An external node above depth D becomes a padded subtree whose internal
 * nodes split arbitrarily and whose leaves all carry the external node's depth + c(size), so every
 * point takes exactly D steps and all trees advance together: one tf.gather per level fetches the
 * split features and thresholds for a [rows, trees] index tensor, another fetches the point's
 * feature values, and `x >= threshold` picks the child. Comparisons are in float32 on both sides,
 * like the plain scorer, so both return the same leaves.
 */
import * as tf from '@tensorflow/tfjs';
import type { IsolationForest } from './isolationForest';
import { toMatrix, type MatrixLike } from './matrix';

export class TfForestScorer {
  private readonly depth: number;
  private readonly nInternal: number;
  private readonly nLeaves: number;
  private readonly nTrees: number;
  private readonly nFeatures: number;
  private readonly normaliser: number;
  private readonly feature: tf.Tensor1D;
  private readonly threshold: tf.Tensor1D;
  private readonly leafValue: tf.Tensor1D;

  /** Rows per tf batch: bounds peak memory at ~ rows × trees × a few tensors. */
  static readonly CHUNK_ROWS = 4096;

  constructor(forest: IsolationForest) {
    this.depth = forest.heightLimit;
    this.nInternal = 2 ** this.depth - 1;
    this.nLeaves = 2 ** this.depth;
    this.nTrees = forest.nTrees;
    this.nFeatures = forest.nFeatures;
    this.normaliser = forest.normaliser;
    const feat = new Int32Array(this.nTrees * this.nInternal);
    const thr = new Float32Array(this.nTrees * this.nInternal);
    const leaf = new Float32Array(this.nTrees * this.nLeaves);
    const { roots, feature, threshold, left } = forest.trees;

    for (let t = 0; t < this.nTrees; t++) {
      const iBase = t * this.nInternal;
      const lBase = t * this.nLeaves;
      // Heap positions in [0, nInternal) are internal, [nInternal, 2·nInternal] are leaves.
      const fill = (node: number, heap: number, level: number): void => {
        if (level === this.depth) {
          if (feature[node] >= 0) throw new Error(`tree ${t} is deeper than its height limit ${this.depth}`);
          leaf[lBase + heap - this.nInternal] = forest.leafValue[node];
          return;
        }
        if (feature[node] >= 0) {
          feat[iBase + heap] = feature[node];
          thr[iBase + heap] = threshold[node];
          fill(left[node], 2 * heap + 1, level + 1);
          fill(left[node] + 1, 2 * heap + 2, level + 1);
          return;
        }
        // Early external node: every leaf under this heap position gets its value.
        const span = 2 ** (this.depth - level);
        let first = heap;
        for (let l = level; l < this.depth; l++) first = 2 * first + 1;
        leaf.fill(forest.leafValue[node], lBase + first - this.nInternal, lBase + first - this.nInternal + span);
      };
      fill(roots[t], 0, 0);
    }
    this.feature = tf.tensor1d(feat, 'int32');
    this.threshold = tf.tensor1d(thr, 'float32');
    this.leafValue = tf.tensor1d(leaf, 'float32');
  }

  /** Anomaly scores s(x) for every row, computed with the active tfjs backend. */
  async scoreBatch(x: MatrixLike): Promise<Float64Array> {
    const m = toMatrix(x);
    if (m.cols !== this.nFeatures) throw new RangeError(`expected ${this.nFeatures} features, got ${m.cols}`);
    const out = new Float64Array(m.rows);
    for (let start = 0; start < m.rows; start += TfForestScorer.CHUNK_ROWS) {
      const rows = Math.min(TfForestScorer.CHUNK_ROWS, m.rows - start);
      const chunk = m.data.subarray(start * m.cols, (start + rows) * m.cols);
      const scores = tf.tidy(() => this.scoreChunk(chunk, rows));
      out.set(await scores.data(), start);
      scores.dispose();
    }
    return out;
  }

  private scoreChunk(chunk: Float32Array, rows: number): tf.Tensor1D {
    const d = this.nFeatures;
    const xFlat = tf.tensor1d(chunk, 'float32');
    const rowBase = tf.range(0, rows * d, d, 'int32').reshape([rows, 1]);
    const treeInternalBase = tf.range(0, this.nTrees * this.nInternal, this.nInternal, 'int32').reshape([1, this.nTrees]);
    // Scalars must be int32 explicitly: a JS number operand would upcast the indices to float32.
    const one = tf.scalar(1, 'int32');
    const two = tf.scalar(2, 'int32');
    let idx: tf.Tensor = tf.zeros([rows, this.nTrees], 'int32');
    for (let level = 0; level < this.depth; level++) {
      const node = idx.add(treeInternalBase);
      const f = tf.gather(this.feature, node);
      const thr = tf.gather(this.threshold, node);
      const xv = tf.gather(xFlat, f.add(rowBase));
      const right = tf.greaterEqual(xv, thr).cast('int32');
      idx = idx.mul(two).add(right).add(one);
    }
    const treeLeafBase = tf.range(-this.nInternal, this.nTrees * this.nLeaves - this.nInternal, this.nLeaves, 'int32').reshape([1, this.nTrees]);
    const meanPath = tf.gather(this.leafValue, idx.add(treeLeafBase)).mean(1);
    return tf.pow(2, meanPath.div(-this.normaliser)) as tf.Tensor1D;
  }

  dispose(): void {
    this.feature.dispose();
    this.threshold.dispose();
    this.leafValue.dispose();
  }
}
