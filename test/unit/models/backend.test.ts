import * as tf from '@tensorflow/tfjs';
import { Autoencoder } from '../../../models/autoencoder';
import { currentBackend, initBackend } from '../../../models/backend';
import { IsolationForest } from '../../../models/isolationForest';
import { TfForestScorer } from '../../../models/isolationForestTf';
import { gaussian, withRows } from './synthetic';

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

// tfjs prints a "install tfjs-node" banner the first time the cpu backend is used; we log our own line.
const warn = console.warn;
beforeAll(() => {
  jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    if (!String(args[0]).includes('running TensorFlow.js in Node.js')) warn(...args);
  });
});
afterAll(() => jest.restoreAllMocks());

describe('initBackend', () => {
  const saved = process.env.KLAXON_TF_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.KLAXON_TF_BACKEND;
    else process.env.KLAXON_TF_BACKEND = saved;
  });

  it('prefers tfjs-node, else wasm, and logs the choice', async () => {
    delete process.env.KLAXON_TF_BACKEND;
    const log = jest.fn();
    await initBackend({ force: 'cpu', log: () => undefined });
    const name = await initBackend({ log });
    expect(name).toBe(tfjsNodeInstalled() ? 'tensorflow' : 'wasm');
    expect(tf.getBackend()).toBe(name);
    expect(currentBackend()).toBe(name);
    expect(log).toHaveBeenCalledWith(expect.stringContaining(`"${name}"`));
  });

  it('honours KLAXON_TF_BACKEND and rejects unknown names', async () => {
    process.env.KLAXON_TF_BACKEND = 'cpu';
    expect(await initBackend({ log: () => undefined })).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    process.env.KLAXON_TF_BACKEND = 'gpu';
    await expect(initBackend({ log: () => undefined })).rejects.toThrow(/KLAXON_TF_BACKEND must be one of tensorflow, wasm, cpu/);
  });

  (tfjsNodeInstalled() ? it.skip : it)('fails clearly when tfjs-node is forced but not installed', async () => {
    await expect(initBackend({ force: 'tensorflow', log: () => undefined })).rejects.toThrow(/@tensorflow\/tfjs-node is not installed/);
  });
});

describe('results agree across backends', () => {
  const quiet = { log: () => undefined };
  const data = withRows(gaussian(400, 6, 21), [[4, -4, 4, -4, 4, -4]]);

  it('autoencoder: the same model scores the same on cpu and wasm', async () => {
    await initBackend({ force: 'wasm', ...quiet });
    const ae = await Autoencoder.fit(data, { seed: 2, epochs: 5 });
    try {
      const onWasm = await ae.reconstructionErrors(data);
      await initBackend({ force: 'cpu', ...quiet });
      const onCpu = await ae.reconstructionErrors(data);
      let maxRel = 0;
      onWasm.forEach((e, i) => (maxRel = Math.max(maxRel, Math.abs(e - onCpu[i]) / Math.max(e, 1e-6))));
      expect(maxRel).toBeLessThan(1e-4);
      // And the plain TS single-vector path agrees with both.
      expect(ae.reconstructionError(data.data.subarray(0, 6))).toBeCloseTo(onCpu[0], 5);
    } finally {
      ae.dispose();
    }
  });

  it('isolation forest: tfjs scoring on cpu and wasm equals the plain TypeScript scorer', async () => {
    const forest = IsolationForest.fit(data, { seed: 4, nTrees: 30, sampleSize: 64 });
    const plain = forest.scoreBatch(data);
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend({ force: backend, ...quiet });
      const scorer = new TfForestScorer(forest);
      try {
        const before = tf.memory().numTensors;
        const viaTf = await scorer.scoreBatch(data);
        expect(tf.memory().numTensors).toBe(before);
        plain.forEach((s, i) => expect(Math.abs(viaTf[i] - s)).toBeLessThan(1e-5));
      } finally {
        scorer.dispose();
      }
    }
  });

  it('tfjs forest scoring handles trees with early external nodes and tiny samples', async () => {
    await initBackend({ force: 'cpu', ...quiet });
    const rows = [[0, 0], [0, 0], [0, 0], [10, 1]];
    const forest = IsolationForest.fit(rows, { seed: 1, nTrees: 8 });
    const scorer = new TfForestScorer(forest);
    try {
      const viaTf = await scorer.scoreBatch(rows);
      forest.scoreBatch(rows).forEach((s, i) => expect(viaTf[i]).toBeCloseTo(s, 6));
    } finally {
      scorer.dispose();
    }
  });
});
