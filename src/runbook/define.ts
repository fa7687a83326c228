import type { z } from 'zod';
import type { HttpStepArgs, HttpStepResult, ExecResult } from './stepTypes';

/**
 * What a runbook author writes: `export default defineRunbook({...})` in a file of the runbooks
 * folder (KLAXON_RUNBOOKS, default ./runbooks). `run` is Temporal workflow code: deterministic,
 * and every side effect goes through the steps on `ctx`, each a recorded activity or durable wait.
 * Import from `klaxon/runbook` only (and zod): the bundler refuses anything non-deterministic.
 */
export type RunbookMode = 'auto' | 'suggest' | 'manual';

export interface Runbook<P extends z.ZodType = z.ZodType> {
  /** Unique per tenant folder; part of the run's workflow id (`runbook/<incident>/<name>/<n>`). */
  name: string;
  description: string;
  /** Alertmanager matchers on the incident's labels; all must match. */
  match: string[];
  /**
   * `auto` runs when an incident matches; `suggest` asks the people paged for approval first;
   * `manual` only when someone asks (API, CLI).
   */
  mode: RunbookMode;
  /** Parameters; a missing value comes from the incident's label, then annotation, of the same name. */
  params?: P;
  /**
   * Start only when the incident's alert group opened at least this many incidents in the last
   * hour, this one included: a flapping alert (checked before anything is recorded).
   */
  minFiredInLastHour?: number;
  /** Label names whose values make the concurrency key: one run per runbook and key at a time. Default ['service']. */
  concurrencyBy?: string[];
  /** What a run does when its incident resolves: cancelled (default) or left to finish. */
  onResolve?: 'cancel' | 'continue';
  /** The whole run's limit (default `1h`); past it the run is cancelled and recorded as timed out. */
  timeout?: string;
  /**
   * `suggest` only: how long the approval asked before the run waits (default 30m), and what an
   * unanswered request does: `abort` (default) or `escalate` the incident (and not run).
   */
  approval?: { timeout?: string; onTimeout?: 'abort' | 'escalate' };
  run(ctx: RunbookContext, params: z.output<P>): Promise<string | void>;
}

export function defineRunbook<P extends z.ZodType>(runbook: Runbook<P>): Runbook<P> {
  return runbook;
}

/** The incident a run acts on, as it was when the run started. */
export interface RunbookIncident {
  id: string;
  tenant: string;
  title: string;
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Incidents of the same alert group started in the last hour, this one included (flapping). */
  firedInLastHour: number;
}

export interface WaitForOptions {
  /** PromQL, an instant query; the condition applies to every sample (and fails on none). */
  query: string;
  below?: number;
  above?: number;
  /** How long the condition must hold before it counts (default: one check). */
  for?: string;
  /** Give up after (required: a wait without an end is a stuck runbook). */
  timeout: string;
  /** Between checks (default 15s, at least 1s). */
  every?: string;
  prometheusUrl?: string;
}

export interface ApproveOptions {
  /** Why approval is asked, shown to the approvers. */
  reason: string;
  /** Default 30m. */
  timeout?: string;
  /** On timeout: `abort` the run (default), `skip` (approve() returns false), or `escalate` the incident and abort. */
  onTimeout?: 'abort' | 'skip' | 'escalate';
  /**
   * Who may answer (the tenant's users, and whoever is on call in the schedules named): each hears
   * of it directly, with a link of their own, and nobody else's answer counts (a Slack click is
   * matched to a user by their `slack` id; the API answers as an admin). Default: whoever is paged.
   */
  from?: { users?: string[]; schedules?: string[] };
}

export interface SilenceOptions {
  /** Default: the incident's `alertname` (and `instance` when it has one). */
  matchers?: string[];
  duration: string;
  comment: string;
  alertmanagerUrl?: string;
}

/** The step library: every call lands in the incident's timeline. */
export interface RunbookContext {
  incident: RunbookIncident;
  /** `runbook/<incident>/<name>/<n>`. */
  runId: string;
  http(url: string, options?: Omit<HttpStepArgs, 'url' | 'tenant' | 'incidentId' | 'runId'>): Promise<HttpStepResult>;
  /** True once the condition held (for `for`), false at the timeout. */
  waitFor(options: WaitForOptions): Promise<boolean>;
  /** Asks the people paged to approve; true when approved, false when denied (or skipped on timeout). */
  approve(options: ApproveOptions): Promise<boolean>;
  /** Creates an Alertmanager silence; returns its id. */
  silence(options: SilenceOptions): Promise<string>;
  expireSilence(silenceId: string, alertmanagerUrl?: string): Promise<void>;
  /** A line in the incident's timeline. */
  annotate(text: string, details?: Record<string, unknown>): Promise<void>;
  /** A message in the incident's conversation (a reply in each paged thread, never a page), and the timeline. */
  notify(text: string): Promise<void>;
  /** A durable wait. */
  sleep(duration: string): Promise<void>;
  /** Escalates the incident now (its policy goes to the next notify step). */
  escalate(reason: string): Promise<void>;
  /** Runs an allow-listed command on a worker host (off unless the tenant lists it). */
  exec(command: string, args?: string[]): Promise<ExecResult>;
  /**
   * Changing a runbook while runs are in flight: `if (ctx.patched('my-change')) { new } else { old }`.
   * True for runs that start on the new code, false for runs that had passed this point on the old
   * code (Temporal's `patched()`: they replay unchanged). Once no old run is left, keep the new
   * branch with `ctx.deprecatePatch('my-change')`, then drop both in a later version.
   */
  patched(changeId: string): boolean;
  deprecatePatch(changeId: string): void;
}
