/**
 * Runs one model fit in a child process (trainer.ts) and resolves with its serialised weights.
 * Progress messages are passed to `onProgress`; aborting `signal` (activity cancelled, worker
 * shutting down) kills the child.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainMessage, TrainRequest } from './trainer';

export interface TrainResult {
  weights: unknown;
  summary: Record<string, unknown>;
  ms: number;
  /** Child start-up (tsx, tfjs, backend) until the first message. */
  startupMs: number;
}

// Sources run through tsx (bin/klaxon.js); a compiled build would ship trainer.js beside this file.
const TRAINER_TS = join(__dirname, 'trainer.ts');
const TRAINER = existsSync(TRAINER_TS) ? TRAINER_TS : join(__dirname, 'trainer.js');
const EXEC_ARGV = TRAINER === TRAINER_TS ? ['--require', require.resolve('tsx/cjs')] : [];

export function trainInChildProcess(
  req: TrainRequest,
  opts: { onProgress?: (done: number, total: number, message: string) => void; signal?: AbortSignal } = {},
): Promise<TrainResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstMessageAt: number | undefined;
    let settled = false;
    const child = fork(TRAINER, [], {
      execArgv: EXEC_ARGV,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const finish = (err: Error | null, result?: TrainResult) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && !child.killed) child.kill('SIGKILL');
      if (err) reject(err);
      else resolve(result!);
    };
    const onAbort = () => finish(new Error('training cancelled'));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort);

    child.on('message', (m: TrainMessage) => {
      firstMessageAt ??= performance.now();
      if (m.type === 'progress') opts.onProgress?.(m.done, m.total, m.message);
      else if (m.type === 'done') finish(null, { weights: m.weights, summary: m.summary, ms: m.ms, startupMs: firstMessageAt - started });
      else finish(new Error(`${req.kind} training failed: ${m.message}`));
    });
    child.on('error', (err) => finish(new Error(`${req.kind} trainer could not start: ${err.message}`)));
    child.on('exit', (code, signal) => {
      finish(new Error(`${req.kind} trainer exited (${signal ?? `code ${code}`}) before finishing${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
    });
    child.send(req);
  });
}
