import { initBackend } from '../../../models/backend';
import { Ensemble } from '../../../models/ensemble';
import { gaussian, rowOf, withRows } from './synthetic';

describe('ensemble', () => {
  const data = withRows(gaussian(500, 5, 31), [[5, -5, 5, -5, 5]]);
  let model: Ensemble;

  beforeAll(async () => {
    await initBackend({ force: 'wasm', log: () => undefined });
    model = await Ensemble.fit(data, { seed: 3, autoencoder: { epochs: 10 } });
  });
  afterAll(() => model.dispose());

  it('scores the mean of the two calibrated member scores', async () => {
    for (const r of [0, 10, 500]) {
      const x = rowOf(data, r);
      const expected = (model.iforest.calibratedScore(x) + model.autoencoder.score(x)) / 2;
      expect(model.score(x)).toBeCloseTo(expected, 12);
    }
    const batch = await model.scoreBatch(data);
    expect(batch[10]).toBeCloseTo(model.score(rowOf(data, 10)), 5);
    batch.forEach((s) => {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    });
    // The planted outlier is at the top of both members' training distributions.
    expect(batch[500]).toBe(Math.max(...batch));
    expect(batch[500]).toBeGreaterThan(0.99);
  });

  it('explains with normalised weights from both members', () => {
    const e = model.explain([0, 0, 0, 8, 0], 5);
    expect(e[0].feature).toBe(3);
    expect(e.reduce((a, c) => a + c.weight, 0)).toBeCloseTo(1, 10);
  });

  it('round-trips through JSON', async () => {
    const copy = await Ensemble.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    try {
      for (const r of [0, 7, 500]) expect(copy.score(rowOf(data, r))).toBe(model.score(rowOf(data, r)));
    } finally {
      copy.dispose();
    }
    await expect(Ensemble.fromJSON({ format: 'klaxon.ensemble', version: 1, featureVersion: null, iforest: {}, autoencoder: {} })).rejects.toThrow(
      /invalid isolation forest weights/,
    );
  });
});
