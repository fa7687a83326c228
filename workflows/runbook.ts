import {
  ApplicationFailure,
  CancellationScope,
  condition,
  deprecatePatch,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { KlaxonActivities } from '../activities';
import type { RunbookContext, WaitForOptions, ApproveOptions, SilenceOptions } from '../src/runbook/define';
import type { RunbookStepActivities } from '../src/runbook/stepTypes';
import { parseDuration } from '../src/config/duration';
import {
  RUNBOOK_CONFLICT,
  runbookDecisionUpdate,
  runbookApprovalSignal,
  runbookEndedSignal,
  runbookNoteSignal,
  runbookEscalateSignal,
  runbookStateQuery,
  type RunbookDecision,
  type RunbookInput,
  type RunbookOutcome,
  type RunbookView,
} from './runbookDefinitions';

/**
 * The runbooks (user files and the zod schemas of their params), loaded when a runbook run first
 * needs them. Every module a workflow imports is evaluated again for each workflow in the worker's
 * cache; incident workflows, most of the cache, never need these (issue #11: memory per incident).
 */
function library(): { runbooks: typeof import('klaxon-runbooks').runbooks; resolveParams: typeof import('../src/runbook/params').resolveParams } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return { runbooks: require('klaxon-runbooks').runbooks, resolveParams: require('../src/runbook/params').resolveParams };
}

// Each step's side effect: retried with backoff; what the vendor refused for good is not retried.
const steps = proxyActivities<RunbookStepActivities>({
  startToCloseTimeout: '90s',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
});
// The run's timeline rows and its end: regular activities, so a thrown-away task writes nothing.
const { recordRunbookEvents, endRunbookRun, resolveApprovers } = proxyActivities<KlaxonActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

const DEFAULT_APPROVAL_MS = 30 * 60_000;

/** patched() id: an approval request is also sent to the incident's conversation (runs recorded before ask only through the API). */
const APPROVAL_NOTICES = 'klaxon-runbook-approval-notices';

/**
 * One run of a runbook for one incident: (for `suggest`) ask approval, then run the author's body
 * with the step library, every step recorded in the incident's timeline. Ends succeeded, failed,
 * denied, cancelled (the incident resolved, or someone stopped it) or timed out.
 */
export async function runbookWorkflow(input: RunbookInput): Promise<RunbookOutcome> {
  const runId = workflowInfo().workflowId;
  const log = timelineWriter(input, runId);
  const view: RunbookView = { runId, runbook: input.runbook, status: 'running' };
  let decision: RunbookDecision | undefined;
  setHandler(runbookStateQuery, () => view);
  setHandler(
    runbookDecisionUpdate,
    (d) => {
      decision = d;
      log.record(d.approve ? 'runbook.approved' : 'runbook.denied', d.actor, d.note ? { note: d.note } : {});
      return view;
    },
    {
      validator: (d) => {
        if (view.status !== 'awaiting approval') throw ApplicationFailure.create({ message: `${input.runbook} is not waiting for an approval (${view.status})`, type: RUNBOOK_CONFLICT, nonRetryable: true });
        if (!d || typeof d.actor !== 'string' || !d.actor) throw ApplicationFailure.create({ message: 'actor: who decides is required', type: RUNBOOK_CONFLICT, nonRetryable: true });
        const approvers = view.approval?.approvers;
        if (approvers && !d.override && !(d.approver && approvers.includes(d.approver))) {
          const who = approvers.length ? approvers.join(', ') : 'an admin (nobody named could be reached)';
          throw ApplicationFailure.create({ message: `only ${who} may answer this request${d.approver ? `, not ${d.approver}` : ''}`, type: RUNBOOK_CONFLICT, nonRetryable: true });
        }
      },
    },
  );

  const finish = async (outcome: RunbookOutcome, detail?: string): Promise<RunbookOutcome> => {
    view.status = outcome;
    delete view.approval;
    log.record(`runbook.${outcome === 'timed out' ? 'timedOut' : outcome}`, 'klaxon', detail ? { detail } : {});
    // Cleanup must run even when the run was cancelled.
    await CancellationScope.nonCancellable(async () => {
      await log.flush();
      await endRunbookRun({ runId, outcome, detail });
      await getExternalWorkflowHandle(input.incidentWorkflowId)
        .signal(runbookEndedSignal, { runId, runbook: input.runbook, outcome, detail })
        .catch(() => undefined);
    });
    return outcome;
  };

  const { runbooks, resolveParams } = library();
  const book = runbooks[input.runbook];
  if (!book) return finish('failed', `no runbook named ${input.runbook} in this worker's bundle`);
  const parsed = resolveParams(book.params, input.params, input.incident);
  if (!parsed.ok) return finish('failed', parsed.error);
  log.record('runbook.started', input.requestedBy, { mode: input.mode, params: parsed.value });

  const approve = async (o: ApproveOptions): Promise<boolean> => {
    const ms = durationOf(o.timeout, 'approve.timeout', DEFAULT_APPROVAL_MS);
    decision = undefined;
    // Named approvers are known before the request is open: nobody else's answer may slip in first.
    const approvers = o.from ? await namedApprovers(o.from) : undefined;
    view.status = 'awaiting approval';
    view.approval = { reason: o.reason, until: new Date(Date.now() + ms).toISOString(), ...(approvers ? { approvers } : {}) };
    log.record('runbook.approval.asked', 'klaxon', { reason: o.reason, timeout: o.timeout ?? '30m', ...(approvers ? { approvers } : {}) });
    // The people paged (and those named) hear of it, with a signed approve/deny link.
    if (patched(APPROVAL_NOTICES)) {
      await getExternalWorkflowHandle(input.incidentWorkflowId)
        .signal(runbookApprovalSignal, { runId, runbook: input.runbook, reason: o.reason, until: view.approval.until, ...(approvers ? { approvers } : {}) })
        .catch(() => undefined);
    }
    const answered = await condition(() => decision !== undefined, ms);
    view.status = 'running';
    delete view.approval;
    if (answered) {
      if (!decision!.approve) throw new Denied(decision!.actor);
      return true;
    }
    const onTimeout = o.onTimeout ?? 'abort';
    log.record('runbook.approval.timedOut', 'klaxon', { onTimeout });
    if (onTimeout === 'skip') return false;
    if (onTimeout === 'escalate') await escalate(`no approval for ${input.runbook} within ${o.timeout ?? '30m'}`);
    throw new Denied('nobody (approval timed out)');
  };
  const namedApprovers = async (from: NonNullable<ApproveOptions['from']>): Promise<string[]> => {
    const r = await resolveApprovers({ tenant: input.incident.tenant, users: from.users ?? [], schedules: from.schedules ?? [], at: new Date().toISOString() });
    for (const u of r.unreachable) log.record('runbook.approval.unreachable', 'klaxon', u);
    return r.approvers;
  };
  const escalate = async (reason: string) => {
    log.record('runbook.escalated', 'klaxon', { reason });
    await getExternalWorkflowHandle(input.incidentWorkflowId).signal(runbookEscalateSignal, { runId, reason });
  };

  const ctx = stepLibrary(input, runId, log, { approve, escalate }, view);
  const timeoutMs = input.timeoutMs;
  try {
    if (input.mode === 'suggest') await approve({ reason: `${book.description} (suggested for this incident)`, timeout: book.approval?.timeout, onTimeout: book.approval?.onTimeout ?? 'abort' });
    const result = await CancellationScope.withTimeout(timeoutMs, () => book.run(ctx, parsed.value));
    return finish('succeeded', typeof result === 'string' ? result : undefined);
  } catch (err) {
    if (err instanceof Denied) return finish('denied', `by ${err.actor}`);
    if (isCancellation(err)) {
      // withTimeout cancels its scope at the limit; a cancel from outside cancels the whole run.
      return CancellationScope.current().consideredCancelled ? finish('cancelled') : finish('timed out', `after ${Math.round(timeoutMs / 1000)}s`);
    }
    return finish('failed', errorText(err));
  }
}

class Denied extends Error {
  constructor(readonly actor: string) {
    super(`denied by ${actor}`);
  }
}

type Log = ReturnType<typeof timelineWriter>;

/**
 * The run's timeline: numbered by the run itself (so a retried activity writes the same rows) and
 * written in the background, so a step never waits for the audit store.
 */
function timelineWriter(input: RunbookInput, runId: string) {
  let seq = 0;
  let pending: Array<{ seq: number; at: string; kind: string; actor: string; details: Record<string, unknown> }> = [];
  let writing: Promise<void> = Promise.resolve();
  const write = async () => {
    while (pending.length) {
      const events = pending;
      pending = [];
      await recordRunbookEvents({ tenant: input.incident.tenant, incidentId: input.incident.id, runId, runbook: input.runbook, events });
    }
  };
  return {
    record(kind: string, actor: string, details: Record<string, unknown> = {}) {
      pending.push({ seq: ++seq, at: new Date().toISOString(), kind, actor, details: { runbook: input.runbook, ...details } });
      writing = writing.then(() => CancellationScope.nonCancellable(write));
    },
    flush: () => writing,
  };
}

function stepLibrary(
  input: RunbookInput,
  runId: string,
  log: Log,
  own: { approve: RunbookContext['approve']; escalate: RunbookContext['escalate'] },
  view: RunbookView,
): RunbookContext {
  const scope = { tenant: input.incident.tenant, incidentId: input.incident.id, runId };
  let notes = 0;
  /** Runs one step with its timeline rows: what it was asked, and how it ended. */
  const step = async <T>(name: string, details: Record<string, unknown>, fn: () => Promise<T>, summary: (r: T) => Record<string, unknown> = () => ({})): Promise<T> => {
    view.step = name;
    try {
      const r = await fn();
      log.record(`runbook.step`, 'klaxon', { step: name, ...details, ...summary(r) });
      return r;
    } catch (err) {
      if (!isCancellation(err) && !(err instanceof Denied)) log.record('runbook.step.failed', 'klaxon', { step: name, ...details, error: errorText(err) });
      throw err;
    } finally {
      delete view.step;
    }
  };
  return {
    incident: input.incident,
    runId,
    http: (url, o = {}) => step('http', { method: o.method ?? 'GET', url }, () => steps.runbookHttp({ ...scope, ...o, url }), (r) => ({ status: r.status })),
    waitFor: (o) => step('waitFor', { query: o.query, ...(o.below !== undefined ? { below: o.below } : {}), ...(o.above !== undefined ? { above: o.above } : {}) }, () => waitFor(scope, o), (met) => ({ met })),
    approve: (o) => step('approve', { reason: o.reason }, () => own.approve(o), (approved) => ({ approved })),
    silence: (o: SilenceOptions) => {
      const matchers = o.matchers ?? defaultSilenceMatchers(input.incident.labels);
      const durationMs = durationOf(o.duration, 'silence.duration');
      return step('silence', { matchers, duration: o.duration }, () => steps.runbookCreateSilence({ ...scope, matchers, durationMs, comment: o.comment, alertmanagerUrl: o.alertmanagerUrl }), (r) => ({ silenceId: r.silenceId, endsAt: r.endsAt })).then((r) => r.silenceId);
    },
    expireSilence: (silenceId, alertmanagerUrl) => step('expireSilence', { silenceId }, () => steps.runbookExpireSilence({ ...scope, silenceId, alertmanagerUrl })),
    annotate: async (text, details = {}) => log.record('runbook.note', 'klaxon', { text, ...details }),
    // Numbered by the run, so each note keeps its own idempotency key across the incident's continue-as-new.
    notify: (text) =>
      step('notify', { text }, () => getExternalWorkflowHandle(input.incidentWorkflowId).signal(runbookNoteSignal, { runId, runbook: input.runbook, text: String(text).slice(0, 2000), seq: ++notes })),
    sleep: (d) => step('sleep', { duration: d }, () => sleep(durationOf(d, 'sleep'))),
    escalate: (reason) => own.escalate(reason),
    exec: (command, args = []) => step('exec', { command, args }, () => steps.runbookExec({ ...scope, command, args }), (r) => ({ code: r.code })),
    // Namespaced, so an author's change id never collides with Klaxon's own.
    patched: (changeId) => patched(`runbook:${input.runbook}:${changeId}`),
    deprecatePatch: (changeId) => deprecatePatch(`runbook:${input.runbook}:${changeId}`),
  };
}

/** Polls a PromQL query on durable timers until every sample meets the bound for `for`, or the timeout. */
async function waitFor(scope: { tenant: string; incidentId: string; runId: string }, o: WaitForOptions): Promise<boolean> {
  if (o.below === undefined && o.above === undefined) throw ApplicationFailure.nonRetryable('waitFor: give `below` or `above`');
  const deadline = Date.now() + durationOf(o.timeout, 'waitFor.timeout');
  const holdMs = o.for ? durationOf(o.for, 'waitFor.for') : 0;
  const every = Math.max(1000, o.every ? durationOf(o.every, 'waitFor.every') : 15_000);
  let since: number | undefined;
  for (;;) {
    const { samples } = await steps.runbookPromQuery({ ...scope, query: o.query, prometheusUrl: o.prometheusUrl });
    // NaN and ±Inf (an error ratio with no requests) arrive as null: they never meet a bound.
    const ok = samples.length > 0 && samples.every((s) => Number.isFinite(s.value) && (o.below === undefined || s.value < o.below) && (o.above === undefined || s.value > o.above));
    const now = Date.now();
    since = ok ? (since ?? now) : undefined;
    if (since !== undefined && now - since >= holdMs) return true;
    if (now + every > deadline) return false;
    await sleep(every);
  }
}

function defaultSilenceMatchers(labels: Record<string, string>): string[] {
  return ['alertname', 'instance'].filter((k) => labels[k]).map((k) => `${k}=${JSON.stringify(labels[k])}`);
}

function durationOf(text: string | undefined, field: string, fallback?: number): number {
  if (text === undefined && fallback !== undefined) return fallback;
  const ms = text === undefined ? undefined : parseDuration(text);
  if (ms === undefined || ms <= 0) throw ApplicationFailure.nonRetryable(`${field}: "${text}" is not a duration (e.g. 30s, 5m, 2h)`);
  return ms;
}

/** An activity's failure says "Activity task failed"; the reason is its cause. */
function errorText(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return e.cause?.message ?? e.message ?? String(err);
}
