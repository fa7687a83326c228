/**
 * `klaxon model eval --data <csv> [--label <column>] --model iforest|autoencoder|ensemble [--seed N] [--json]`
 *
 * Fits the chosen anomaly model unsupervised on every row of a labelled CSV (the labels are only
 * used for scoring the result) and prints ROC AUC and PR AUC (average precision). With --json it
 * prints exactly one line:
 *   {"rocAuc":…,"prAuc":…,"rows":…,"model":…,"backend":…,"trainMs":…,"scoreMs":…}
 * `backend` is the tfjs backend, or "js" for the isolation forest (plain TypeScript, no tfjs).
 * Exit codes: 0 ok, 1 the data or the model failed, 2 bad command-line usage.
 */
import { parseArgs } from 'node:util';
import { Autoencoder } from '../../../models/autoencoder';
import { initBackend } from '../../../models/backend';
import { loadLabelledCsv } from '../../../models/csv';
import { Ensemble } from '../../../models/ensemble';
import { IsolationForest } from '../../../models/isolationForest';
import { averagePrecision, rocAuc } from '../../../models/metrics';
import type { Matrix } from '../../../models/matrix';

export const MODEL_KINDS = ['iforest', 'autoencoder', 'ensemble'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export const MODEL_EVAL_USAGE = `usage: klaxon model eval --data <csv> [--label <column>] --model ${MODEL_KINDS.join('|')} [--seed N] [--json]

  --data <csv>      labelled CSV: header row, numeric cells, 0/1 label column
  --label <column>  name of the label column (default: label)
  --model <kind>    ${MODEL_KINDS.join(', ')}
  --seed <N>        PRNG seed for training (default: 42)
  --json            print one JSON line instead of a table`;

export interface EvalResult {
  rocAuc: number;
  prAuc: number;
  rows: number;
  model: ModelKind;
  backend: string;
  trainMs: number;
  scoreMs: number;
}

export interface ModelEvalIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

const defaultIo: ModelEvalIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

class UsageError extends Error {}

export interface EvalArgs {
  data: string;
  label: string;
  model: ModelKind;
  seed: number;
  json: boolean;
}

function parse(args: string[]): EvalArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        data: { type: 'string' },
        label: { type: 'string', default: 'label' },
        model: { type: 'string' },
        seed: { type: 'string', default: '42' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (!values.data) throw new UsageError('--data <csv> is required');
  if (!values.model) throw new UsageError(`--model is required (${MODEL_KINDS.join(', ')})`);
  if (!(MODEL_KINDS as readonly string[]).includes(values.model)) {
    throw new UsageError(`--model must be one of ${MODEL_KINDS.join(', ')}, got "${values.model}"`);
  }
  if (!/^\d+$/.test(values.seed) || Number(values.seed) > 0xffffffff) {
    throw new UsageError(`--seed must be an integer between 0 and 4294967295, got "${values.seed}"`);
  }
  if (values.label.trim() === '') throw new UsageError('--label must not be empty');
  return { data: values.data, label: values.label, model: values.model as ModelKind, seed: Number(values.seed), json: values.json };
}

/** Fit `kind` on `x` and score every row; also reports timings and the backend used. */
export async function fitAndScore(
  kind: ModelKind,
  x: Matrix,
  seed: number,
  log?: (message: string) => void,
): Promise<{ scores: Float64Array; backend: string; trainMs: number; scoreMs: number }> {
  if (kind === 'iforest') {
    const t0 = performance.now();
    const forest = IsolationForest.fit(x, { seed, calibrate: false });
    const t1 = performance.now();
    const scores = forest.scoreBatch(x);
    return { scores, backend: 'js', trainMs: t1 - t0, scoreMs: performance.now() - t1 };
  }
  const backend = await initBackend({ log });
  const t0 = performance.now();
  const model = kind === 'autoencoder' ? await Autoencoder.fit(x, { seed }) : await Ensemble.fit(x, { seed });
  const t1 = performance.now();
  try {
    const scores = await model.scoreBatch(x);
    return { scores, backend, trainMs: t1 - t0, scoreMs: performance.now() - t1 };
  } finally {
    model.dispose();
  }
}

export async function evaluate(args: EvalArgs, log?: (message: string) => void): Promise<EvalResult> {
  const data = loadLabelledCsv(args.data, { label: args.label });
  const anomalies = data.labels.reduce((a, b) => a + b, 0);
  if (anomalies === 0 || anomalies === data.labels.length) {
    throw new Error(`${args.data}: column "${args.label}" must contain both 0 and 1 labels to compute AUC`);
  }
  const { scores, backend, trainMs, scoreMs } = await fitAndScore(args.model, data.features, args.seed, log);
  return {
    rocAuc: rocAuc(scores, data.labels),
    prAuc: averagePrecision(scores, data.labels),
    rows: data.features.rows,
    model: args.model,
    backend,
    trainMs: Math.round(trainMs),
    scoreMs: Math.round(scoreMs),
  };
}

function formatTable(r: EvalResult, seed: number): string[] {
  return [
    `model    ${r.model} (seed ${seed}, backend ${r.backend})`,
    `rows     ${r.rows}`,
    `ROC AUC  ${r.rocAuc.toFixed(4)}`,
    `PR AUC   ${r.prAuc.toFixed(4)}`,
    `train    ${r.trainMs} ms`,
    `score    ${r.scoreMs} ms`,
  ];
}

/** Entry point used by the klaxon CLI; returns the process exit code. */
export async function modelEval(args: string[], io: ModelEvalIo = defaultIo): Promise<number> {
  let parsed: EvalArgs | 'help';
  try {
    parsed = parse(args);
  } catch (err) {
    io.stderr(`klaxon model eval: ${(err as Error).message}`);
    io.stderr(MODEL_EVAL_USAGE);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout(MODEL_EVAL_USAGE);
    return 0;
  }
  try {
    const result = await evaluate(parsed, io.stderr);
    if (parsed.json) io.stdout(JSON.stringify(result));
    else formatTable(result, parsed.seed).forEach((l) => io.stdout(l));
    return 0;
  } catch (err) {
    io.stderr(`klaxon model eval: ${(err as Error).message}`);
    return 1;
  }
}
