import * as tf from '@tensorflow/tfjs';
import { Autoencoder } from '../../../models/autoencoder';
import { initBackend } from '../../../models/backend';
import { rocAuc } from '../../../models/metrics';
import { mulberry32, randNormal } from '../../../models/prng';
import { gaussian, lowRank, onManifold, rowOf } from './synthetic';

const quiet = { log: () => undefined };

describe('autoencoder', () => {
  // Rank 2 in 8 dimensions with a little noise; bottleneck 2 can represent it exactly.
  const { data, basis, offManifold } = lowRank(1000, 8, 2, 0.02, 7);
  let ae: Autoencoder;

  beforeAll(async () => {
    await initBackend({ force: 'wasm', ...quiet });
    ae = await Autoencoder.fit(data, { seed: 1, bottleneck: 2, hiddenUnits: 16, epochs: 40 });
  });

  afterAll(() => ae.dispose());

  it('learns the low-rank structure and flags off-manifold points above on-manifold ones', async () => {
    const rng = mulberry32(99);
    const on: number[][] = [];
    const off: number[][] = [];
    for (let i = 0; i < 50; i++) {
      const p = onManifold(basis, [randNormal(rng), randNormal(rng)]);
      on.push(p);
      // Same distance scale as the data, but orthogonal to the manifold.
      off.push(p.map((v, j) => v + 1.5 * offManifold[j]));
    }
    const onScores = on.map((p) => ae.score(p));
    const offScores = off.map((p) => ae.score(p));
    const auc = rocAuc([...onScores, ...offScores], [...on.map(() => 0), ...off.map(() => 1)]);
    expect(auc).toBeGreaterThan(0.98);
    expect(Math.min(...offScores)).toBeGreaterThan(0.95);
    const sortedOn = [...onScores].sort((a, b) => a - b);
    expect(sortedOn[25]).toBeLessThan(0.9); // median on-manifold point is unremarkable
    // Reconstruction error on the manifold is small relative to unit-variance inputs.
    expect(ae.training.finalLoss).toBeLessThan(0.05);
  });

  it('scores single vectors (plain TS forward pass) like the tfjs batch path', async () => {
    const batch = await ae.reconstructionErrors(data);
    for (const r of [0, 1, 17, 500, 999]) {
      expect(ae.reconstructionError(rowOf(data, r))).toBeCloseTo(batch[r], 5);
    }
    const scores = await ae.scoreBatch(data);
    expect(ae.score(rowOf(data, 3))).toBeCloseTo(scores[3], 5);
    scores.forEach((s) => {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    });
  });

  it('attributes the error of a single-feature perturbation to that feature', () => {
    const p = onManifold(basis, [0.3, -0.5]);
    p[5] += 4;
    expect(ae.explain(p, 1)[0].feature).toBe(5);
    const parts = ae.contributions(p);
    expect(parts.reduce((a, b) => a + b, 0) / parts.length).toBeCloseTo(ae.reconstructionError(p), 10);
  });

  it('round-trips through JSON with the same scores', async () => {
    const json = JSON.parse(JSON.stringify(ae.toJSON()));
    const copy = await Autoencoder.fromJSON(json);
    try {
      const a = await ae.scoreBatch(data);
      const b = await copy.scoreBatch(data);
      expect(Array.from(b)).toEqual(Array.from(a));
    } finally {
      copy.dispose();
    }
    await expect(Autoencoder.fromJSON({ ...json, format: 'nope' })).rejects.toThrow(/invalid autoencoder weights/);
    const wrongShape = { ...json, weights: json.weights.map((w: { shape: number[]; values: number[] }, i: number) => (i === 0 ? { shape: [3, 3], values: Array(9).fill(0) } : w)) };
    await expect(Autoencoder.fromJSON(wrongShape)).rejects.toThrow(/tensor 0 has shape 3x3/);
  });

  it('does not leak tensors while scoring', async () => {
    const before = tf.memory().numTensors;
    await ae.scoreBatch(data);
    await ae.reconstructionErrors(data);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is reproducible for a given seed and backend', async () => {
    const small = gaussian(200, 4, 3);
    const a = await Autoencoder.fit(small, { seed: 9, epochs: 2 });
    const b = await Autoencoder.fit(small, { seed: 9, epochs: 2 });
    const c = await Autoencoder.fit(small, { seed: 10, epochs: 2 });
    try {
      expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(a.toJSON()));
      expect(JSON.stringify(c.toJSON().weights)).not.toBe(JSON.stringify(a.toJSON().weights));
    } finally {
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  it('bounds training by the sample budget and survives constant columns', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => [i % 7, 5, (i * 13) % 11]);
    const m = await Autoencoder.fit(rows, { seed: 1, sampleBudget: 900 });
    try {
      expect(m.training.epochs).toBe(3);
      expect(Number.isFinite(m.score([3, 5, 4]))).toBe(true);
      // A value never seen in a constant column is maximally unusual.
      expect(m.score([3, 6, 4])).toBe(1);
    } finally {
      m.dispose();
    }
  });
});
