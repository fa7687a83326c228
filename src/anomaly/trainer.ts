/**
 * Child-process entry that fits one model (forked by trainerProcess.ts, run through tsx).
 *
 * Training is CPU-bound and synchronous for seconds to a minute (models/autoencoder.ts runs its
 * epochs without yielding). In the worker process that would stall the event loop every incident
 * shares: local activities (classify, audit writes, planning) and heartbeats. Here it only occupies
 * its own process, and the worker keeps heartbeating while it waits.
 *
 * Protocol (IPC, advanced serialisation so the matrix crosses as a typed array):
 *   parent → child  TrainRequest
 *   child → parent  { type: 'progress', done, total, message } … then { type: 'done', … } or { type: 'error', … }
 */
import * as tf from '@tensorflow/tfjs';
import { Autoencoder, type AutoencoderOptions } from '../../models/autoencoder';
import { initBackend } from '../../models/backend';
import { IsolationForest, type IsolationForestOptions } from '../../models/isolationForest';

export type TrainRequest =
  | { kind: 'iforest'; rows: number; cols: number; data: Float32Array; options: IsolationForestOptions }
  | { kind: 'autoencoder'; rows: number; cols: number; data: Float32Array; options: AutoencoderOptions };

export type TrainMessage =
  | { type: 'progress'; done: number; total: number; message: string }
  | { type: 'done'; weights: unknown; summary: Record<string, unknown>; ms: number }
  | { type: 'error'; message: string };

function send(m: TrainMessage): void {
  // Synchronous enough: libuv writes to the IPC pipe immediately when it can, so progress sent
  // from inside a blocking training loop still reaches the parent.
  process.send?.(m);
}

/**
 * Counts optimizer steps to report autoencoder progress. Autoencoder.fit takes no progress
 * callback, so the Adam optimizer it creates is wrapped (only in this child process); without the
 * hook, progress is reported at the start and the end only.
 */
function countOptimizerSteps(total: number, everySteps: number): void {
  const train = tf.train as unknown as { adam: (...a: unknown[]) => tf.Optimizer };
  const original = train.adam;
  let steps = 0;
  try {
    train.adam = (...a: unknown[]) => {
      const opt = original(...a);
      const minimize = opt.minimize.bind(opt);
      opt.minimize = ((...m: Parameters<typeof minimize>) => {
        steps++;
        if (steps % everySteps === 0 || steps === total) send({ type: 'progress', done: steps, total, message: `autoencoder: ${steps} of ${total} batches` });
        return minimize(...m);
      }) as typeof opt.minimize;
      return opt;
    };
  } catch {
    // Not patchable in this tfjs build: coarse progress only.
  }
}

async function train(req: TrainRequest): Promise<void> {
  const started = performance.now();
  const m = { data: req.data, rows: req.rows, cols: req.cols };
  if (req.kind === 'iforest') {
    send({ type: 'progress', done: 0, total: 1, message: `isolation forest: ${req.options.nTrees ?? 100} trees on ${req.rows} rows` });
    const forest = IsolationForest.fit(m, { ...req.options, calibrate: true });
    send({ type: 'done', weights: forest.toJSON(), summary: { nTrees: forest.nTrees, sampleSize: forest.sampleSize, heightLimit: forest.heightLimit, backend: 'js' }, ms: performance.now() - started });
    return;
  }
  const backend = await initBackend({ log: () => undefined });
  const o = req.options;
  if (o.epochs !== undefined && o.batchSize !== undefined) {
    const total = o.epochs * Math.ceil(req.rows / Math.min(req.rows, o.batchSize));
    countOptimizerSteps(total, Math.max(1, Math.floor(total / 50)));
  }
  send({ type: 'progress', done: 0, total: 1, message: `autoencoder: ${req.rows} rows on ${backend}` });
  const ae = await Autoencoder.fit(m, o);
  const weights = ae.toJSON();
  ae.dispose();
  send({ type: 'done', weights, summary: { ...ae.training, backend }, ms: performance.now() - started });
}

// The parent kills this process once it has the result (or gives up); losing the parent ends it too.
process.once('disconnect', () => process.exit(0));
process.once('message', (req: TrainRequest) => {
  train(req).catch((err: Error) => send({ type: 'error', message: err.message }));
});
