import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Context } from '@temporalio/activity';
import type { ConfigStore } from '../../src/config/store';
import type { ExecArgs, ExecResult } from '../../src/runbook/stepTypes';
import { formatDuration } from '../../src/config/duration';
import { refused, STEP_FAILURE } from './failures';
import { whileHeartbeating } from './heartbeat';
import { runbookSettings } from './settings';
import { stepTimeout } from './timeout';

/**
 * The `exec` step: runs a command the tenant lists in `runbooks.exec.allow` (exact path) on the
 * worker's host, with the runbook's arguments and no shell, so an argument taken from an alert
 * label is only ever an argument. Its exit code is the answer (non-zero included: the runbook
 * decides); only a command that cannot start, or outlives its timeout, fails the step.
 *
 * spawn rather than execFile: execFile's maxBuffer kills a command that prints more than the
 * buffer, where this one keeps the first 16 KiB of each stream and lets the command finish.
 */

export const MAX_OUTPUT_BYTES = 16 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
/** Between SIGTERM and SIGKILL: time for a command to clean up. */
const KILL_GRACE_MS = 2000;

/** What the command sees of the environment: not the worker's, which holds Klaxon's own secrets (DATABASE_URL, tokens). */
function commandEnv(args: ExecArgs): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', KLAXON_TENANT: args.tenant, KLAXON_INCIDENT_ID: args.incidentId, KLAXON_RUNBOOK_RUN: args.runId };
  for (const k of ['HOME', 'LANG', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

/** Keeps the first `max` bytes of a stream and reads (and drops) the rest, so the command never blocks on a full pipe. */
function capture(max: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add(chunk: Buffer) {
      if (size < max) chunks.push(chunk.subarray(0, max - size));
      size += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

export function createExecStep(deps: { config: ConfigStore }) {
  return async function runbookExec(args: ExecArgs): Promise<ExecResult> {
    const settings = runbookSettings(deps.config, args);
    if (!settings.exec.allow.includes(args.command)) {
      throw refused(STEP_FAILURE.notAllowed, `exec: ${args.command} is not allowed for tenant ${args.tenant}: add its exact path to runbooks.exec.allow`);
    }
    const ctx = Context.current();
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    const timeoutMs = stepTimeout(args.timeoutMs, DEFAULT_TIMEOUT_MS);
    const stdout = capture(MAX_OUTPUT_BYTES);
    const stderr = capture(MAX_OUTPUT_BYTES);

    const outcome = await whileHeartbeating(
      () =>
        new Promise<{ code: number | null; signal: NodeJS.Signals | null; killedFor?: 'timeout' | 'cancel'; error?: Error }>((resolve) => {
          // Its own process group, so a kill reaches whatever the command started too.
          const child = spawn(args.command, args.args ?? [], { shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: commandEnv(args) });
          let killedFor: 'timeout' | 'cancel' | undefined;
          let hardKill: NodeJS.Timeout | undefined;
          const killGroup = (signal: NodeJS.Signals) => {
            try {
              process.kill(-child.pid!, signal);
            } catch {
              // already gone
            }
          };
          const stop = (why: 'timeout' | 'cancel') => {
            if (killedFor || child.pid === undefined) return;
            killedFor = why;
            killGroup('SIGTERM');
            hardKill = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
          };
          const timer = setTimeout(() => stop('timeout'), timeoutMs);
          const onCancel = () => stop('cancel');
          ctx.cancellationSignal.addEventListener('abort', onCancel);
          const done = (r: { code: number | null; signal: NodeJS.Signals | null; error?: Error }) => {
            clearTimeout(timer);
            clearTimeout(hardKill);
            ctx.cancellationSignal.removeEventListener('abort', onCancel);
            resolve({ ...r, killedFor });
          };
          child.stdout.on('data', stdout.add);
          child.stderr.on('data', stderr.add);
          child.once('error', (error) => done({ code: null, signal: null, error }));
          // 'close', not 'exit': the output is complete only once both pipes are.
          child.once('close', (code, signal) => done({ code, signal }));
        }),
    );

    if (outcome.killedFor === 'cancel') throw ctx.cancellationSignal.reason;
    const output = { stdout: stdout.text(), stderr: stderr.text() };
    if (outcome.error) throw refused(STEP_FAILURE.invalid, `exec: could not start ${args.command}: ${outcome.error.message}`);
    if (outcome.killedFor === 'timeout') {
      // Not retried: a retry would run the command again, and it may have done half its work.
      throw refused(STEP_FAILURE.execTimedOut, `exec: ${args.command} ran longer than ${formatDuration(timeoutMs)} and was killed`, output);
    }
    // Killed by a signal it did not get from us: the shell's convention, 128 + the signal's number.
    const code = outcome.code ?? 128 + (outcome.signal ? (constants.signals[outcome.signal] ?? 0) : 0);
    return { code, ...output };
  };
}
