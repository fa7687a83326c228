import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from '../config/duration';

/**
 * The pure halves of Slack interactivity: checking that a request really comes from Slack, and
 * reading which Klaxon button was pressed. The HTTP route (lead) feeds them the raw body and headers.
 */

/**
 * action_ids on Klaxon's buttons; the button value is the incident id (snooze carries its
 * duration), or for a runbook's approval the run id, `runbook/<incident>/<name>/<n>`.
 */
export const SLACK_ACTIONS = {
  ack: 'klaxon.ack',
  resolve: 'klaxon.resolve',
  snooze1h: 'klaxon.snooze.1h',
  runbookApprove: 'klaxon.runbook.approve',
  runbookDeny: 'klaxon.runbook.deny',
} as const;

const MAX_AGE_SECONDS = 5 * 60;

/**
 * Slack's v0 request signature: `X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:{ts}:{rawBody}"))`,
 * with `X-Slack-Request-Timestamp` no more than five minutes away from now (replay protection).
 */
export function verifySlackSignature(args: {
  signingSecret: string;
  /** X-Slack-Request-Timestamp (Unix seconds). */
  timestamp: string | undefined;
  /** The raw request body exactly as received. */
  body: string | Buffer;
  /** X-Slack-Signature. */
  signature: string | undefined;
  now?: Date | number;
}): boolean {
  const { signingSecret, timestamp, signature } = args;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  const nowSec = Math.floor((args.now instanceof Date ? args.now.getTime() : (args.now ?? Date.now())) / 1000);
  if (Math.abs(nowSec - Number(timestamp)) > MAX_AGE_SECONDS) return false;
  const body = typeof args.body === 'string' ? args.body : args.body.toString('utf8');
  const expected = Buffer.from('v0=' + createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex'), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const blockActionsPayload = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string(), username: z.string().optional(), name: z.string().optional() }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
});

export interface SlackAction {
  incidentId: string;
  action: 'ack' | 'resolve' | 'snooze' | 'runbookApprove' | 'runbookDeny';
  snoozeMs?: number;
  /** The runbook run an approve/deny answers. */
  runId?: string;
  /** Slack username (falls back to the user id) — who acted, for the incident timeline. */
  user: string;
  userId: string;
}

export class SlackActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlackActionError';
  }
}

/**
 * Reads a block_actions request (`application/x-www-form-urlencoded` body with a JSON `payload`
 * field). Throws SlackActionError for anything that is not a press of one of Klaxon's buttons.
 */
export function parseSlackAction(formBody: string): SlackAction {
  const raw = new URLSearchParams(formBody).get('payload');
  if (!raw) throw new SlackActionError('no payload field in the form body');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new SlackActionError('payload is not JSON');
  }
  const parsed = blockActionsPayload.safeParse(json);
  if (!parsed.success) throw new SlackActionError(`not a block_actions payload: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const { user, actions } = parsed.data;
  const pressed = actions[0];
  if (!pressed.value) throw new SlackActionError(`action ${pressed.action_id} carries no incident id`);
  const base = { incidentId: pressed.value, user: user.username ?? user.name ?? user.id, userId: user.id };
  if (pressed.action_id === SLACK_ACTIONS.runbookApprove || pressed.action_id === SLACK_ACTIONS.runbookDeny) {
    const run = /^runbook\/([^/]+)\/[^/]+\/\d+$/.exec(pressed.value);
    if (!run) throw new SlackActionError(`action ${pressed.action_id} carries no runbook run id`);
    return { ...base, incidentId: run[1], runId: pressed.value, action: pressed.action_id === SLACK_ACTIONS.runbookApprove ? 'runbookApprove' : 'runbookDeny' };
  }
  if (pressed.action_id === SLACK_ACTIONS.ack) return { ...base, action: 'ack' };
  if (pressed.action_id === SLACK_ACTIONS.resolve) return { ...base, action: 'resolve' };
  const snooze = /^klaxon\.snooze\.(.+)$/.exec(pressed.action_id);
  if (snooze) {
    const snoozeMs = parseDuration(snooze[1]);
    if (!snoozeMs) throw new SlackActionError(`bad snooze duration in ${pressed.action_id}`);
    return { ...base, action: 'snooze', snoozeMs };
  }
  throw new SlackActionError(`unknown action ${pressed.action_id}`);
}
