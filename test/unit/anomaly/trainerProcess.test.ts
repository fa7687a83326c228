import { IsolationForest } from '../../../models/isolationForest';
import { trainInChildProcess } from '../../../src/anomaly/trainerProcess';
import { gaussian } from '../models/synthetic';

describe('model fits in a child process', () => {
  const m = gaussian(400, 8, 3);

  test('the forest fitted in the child is the one the same seed fits here', async () => {
    const r = await trainInChildProcess({ kind: 'iforest', rows: m.rows, cols: m.cols, data: m.data, options: { nTrees: 20, seed: 9 } });
    expect(r.weights).toEqual(IsolationForest.fit(m, { nTrees: 20, seed: 9, calibrate: true }).toJSON());
    expect(r.summary).toMatchObject({ nTrees: 20, backend: 'js' });
  });

  test('autoencoder progress is reported batch by batch while the child trains', async () => {
    const progress: number[] = [];
    const r = await trainInChildProcess(
      { kind: 'autoencoder', rows: m.rows, cols: m.cols, data: m.data, options: { epochs: 3, batchSize: 40, seed: 1 } },
      { onProgress: (done, total) => total === 30 && progress.push(done) },
    );
    expect(progress.at(-1)).toBe(30);
    expect(progress.length).toBeGreaterThan(5);
    expect(r.summary).toMatchObject({ epochs: 3, batchSize: 40 });
  });

  test('aborting kills the fit', async () => {
    const big = gaussian(5000, 32, 4);
    const abort = new AbortController();
    const fit = trainInChildProcess(
      { kind: 'autoencoder', rows: big.rows, cols: big.cols, data: big.data, options: { epochs: 50, batchSize: 32, seed: 1 } },
      { signal: abort.signal, onProgress: (done) => done > 0 && abort.abort() },
    );
    await expect(fit).rejects.toThrow('training cancelled');
  });
});
