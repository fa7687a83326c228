import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client, type UpdateDefinition, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { formatDuration, parseDuration } from '../config/duration';
import type { IncidentRow, IncidentStore } from '../store/incidents';
import type { IncidentView } from './view';
import {
  acknowledgeUpdate,
  MAX_SNOOZE_MS,
  escalateUpdate,
  reassignUpdate,
  resolveUpdate,
  snoozeUpdate,
  unacknowledgeUpdate,
} from '../../workflows/definitions';

/**
 * What people do to an incident (API, CLI, Slack buttons, one-click links), as Temporal updates:
 * the caller gets the new state or a clear refusal ("already resolved").
 */
// `actor` is accepted (old clients send it) and ignored: the API records the token's subject.
const actor = { actor: z.string().max(200).optional(), note: z.string().max(2000).optional() };
const actorBody = z.object(actor).strict();
const snoozeBody = z
  .object({
    ...actor,
    duration: z
      .string()
      .refine((d) => (parseDuration(d) ?? 0) > 0, 'a duration such as 30m or 1h')
      .refine((d) => (parseDuration(d) ?? 0) <= MAX_SNOOZE_MS, `at most ${formatDuration(MAX_SNOOZE_MS)}`),
  })
  .strict();
const reassignBody = z.object({ ...actor, user: z.string().min(1) }).strict();

export const ACTIONS = [
  ['ack', acknowledgeUpdate, actorBody],
  ['unack', unacknowledgeUpdate, actorBody],
  ['resolve', resolveUpdate, actorBody],
  ['snooze', snoozeUpdate, snoozeBody],
  ['escalate', escalateUpdate, actorBody],
  ['reassign', reassignUpdate, reassignBody],
] as const;

export type ActionName = (typeof ACTIONS)[number][0];
/** `actor` is who acts, as the caller established it (token subject, Slack user, link addressee). */
export type ActionArgs = { actor: string; note?: string; duration?: string; user?: string };
type Update = (typeof ACTIONS)[number][1];

/**
 * `unavailable`: no worker answered in time (Klaxon's worker or Temporal is down). The action is not
 * confirmed: it may still apply when the worker is back, and repeating it is safe (a second ack is
 * refused as "already acknowledged").
 */
export type ActionOutcome = { ok: true; state: IncidentView } | { ok: false; message: string; unavailable?: { retryAfterS: number } };

/** How long a person waits for an action's answer before being told to retry (an ack answers in well under a second). */
export const ACTION_DEADLINE_MS = 5000;

export async function applyAction(
  deps: { temporal: Client; incidents: IncidentStore },
  incident: IncidentRow,
  action: ActionName,
  update: Update,
  args: ActionArgs,
): Promise<ActionOutcome> {
  // The workflow id's latest run: continue-as-new carries the incident on in a new run, which the
  // stored run id may not name yet; the incident id makes a later incident's run refuse it.
  const handle = deps.temporal.workflow.getHandle(incident.workflowId);
  const base = { ...args, incidentId: incident.id };
  const payload = action === 'snooze' ? { actor: args.actor, note: args.note, incidentId: incident.id, durationMs: parseDuration(args.duration!)! } : base;
  const r = await sendUpdate(deps.temporal, handle, update as typeof acknowledgeUpdate, payload as { actor: string }, action);
  if (r.ok) return { ok: true, state: r.value };
  if (r.gone) {
    // The workflow is gone (resolved and finished): a no-op, but an audited one.
    await deps.incidents.appendExternal(incident.id, incident.tenant, { kind: 'action.rejected', actor: args.actor, details: { action, reason: `incident is ${incident.status}` } });
    return { ok: false, message: `incident is already ${incident.status === 'resolved' ? 'resolved' : 'closed'}` };
  }
  return r;
}

export type UpdateOutcome<T> = { ok: true; value: T } | { ok: false; message: string; unavailable?: { retryAfterS: number }; gone?: boolean };

/**
 * A Temporal update with a person waiting: the answer, the workflow's refusal, "no worker answered
 * in time" (retry), or "the workflow is gone".
 */
export async function sendUpdate<T, A>(
  temporal: Client,
  handle: WorkflowHandle,
  update: UpdateDefinition<T, [A]>,
  args: A,
  what: string,
): Promise<UpdateOutcome<T>> {
  try {
    const value = await temporal.connection.withDeadline(Date.now() + ACTION_DEADLINE_MS, () => handle.executeUpdate<T, [A]>(update, { args: [args] }));
    return { ok: true, value };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return { ok: false, message: err.cause?.message ?? err.message };
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isUnavailable(err)) {
      return {
        ok: false,
        message: `no answer from Klaxon's worker within ${ACTION_DEADLINE_MS / 1000}s: the ${what} is not confirmed (it may still apply when the worker is back); retry`,
        unavailable: { retryAfterS: 5 },
      };
    }
    if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test((err as Error).message)) return { ok: false, message: `${what}: it has already ended`, gone: true };
    throw err;
  }
}

/** Temporal itself unreachable, or the call's deadline passed (gRPC UNAVAILABLE / DEADLINE_EXCEEDED). */
function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: number; cause?: { code?: number } }).code ?? (err as { cause?: { code?: number } }).cause?.code;
  return code === 14 || code === 4;
}
