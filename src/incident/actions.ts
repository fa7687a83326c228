import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { parseDuration } from '../config/duration';
import type { IncidentRow, IncidentStore } from '../store/incidents';
import type { IncidentView } from './view';
import {
  acknowledgeUpdate,
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
const actor = { actor: z.string().min(1).max(200), note: z.string().max(2000).optional() };
const actorBody = z.object(actor).strict();
const snoozeBody = z
  .object({ ...actor, duration: z.string().refine((d) => (parseDuration(d) ?? 0) > 0, 'a duration such as 30m or 1h') })
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
export type ActionArgs = z.infer<typeof actorBody> & { duration?: string; user?: string };
type Update = (typeof ACTIONS)[number][1];

export type ActionOutcome = { ok: true; state: IncidentView } | { ok: false; message: string };

export async function applyAction(
  deps: { temporal: Client; incidents: IncidentStore },
  incident: IncidentRow,
  action: ActionName,
  update: Update,
  args: ActionArgs,
): Promise<ActionOutcome> {
  const handle = deps.temporal.workflow.getHandle(incident.workflowId, incident.runId);
  const payload = action === 'snooze' ? { actor: args.actor, note: args.note, durationMs: parseDuration(args.duration!)! } : args;
  try {
    const state = await handle.executeUpdate(update as typeof acknowledgeUpdate, { args: [payload as { actor: string }] });
    return { ok: true, state };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return { ok: false, message: err.cause?.message ?? err.message };
    if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test((err as Error).message)) {
      // The workflow is gone (resolved and finished): a no-op, but an audited one.
      await deps.incidents.appendExternal(incident.id, incident.tenant, { kind: 'action.rejected', actor: args.actor, details: { action, reason: `incident is ${incident.status}` } });
      return { ok: false, message: `incident is already ${incident.status === 'resolved' ? 'resolved' : 'closed'}` };
    }
    throw err;
  }
}
