import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext, ThreadRef } from './types';
import type { HttpResponse } from './http';
import { DeliveryError, parseRetryAfter } from './errors';
import { appendPath, facts, headline, isClosed } from './format';
import { cutWithEllipsis } from './truncate';
import { fitMessageText } from './fitMessage';
import { SLACK_ACTIONS } from './slackInteractivity';

/**
 * Slack: Block Kit messages through an incoming webhook, or through the Web API (chat.postMessage)
 * with a bot token — which lets ack/resolve reply in the thread (`thread_ts`) and/or edit the
 * original (chat.update) so the channel shows the incident's current state.
 */

type SlackConfig = ReceiverOf<'slack'>;

/** Block Kit limits: section text 3,000 characters, header plain_text 150. */
const SECTION_MAX = 3000;
const HEADER_MAX = 150;

/** Web API errors worth retrying; everything else (channel_not_found, invalid_auth, …) is final. */
const RETRYABLE_ERRORS = new Set(['ratelimited', 'rate_limited', 'service_unavailable', 'internal_error', 'fatal_error', 'request_timeout', 'team_added_to_org']);

/** Slack mrkdwn needs only &, < and > escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<@U…> ` when a person is paged through the channel, so Slack notifies them. */
function mention(m: NotificationMessage): string {
  return m.recipient?.slack ? `<@${m.recipient.slack.replace(/^@/, '')}> ` : '';
}

export function slackBlocks(m: NotificationMessage, buttons: boolean): unknown[] {
  const inc = m.incident;
  const context = facts(inc, m).map(([k, v]) => `*${k}:* ${escapeMrkdwn(v)}`);
  context.push(`<${inc.links.incident}|Open incident>`);
  if (inc.links.runbook) context.push(`<${inc.links.runbook}|Runbook>`);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: cutWithEllipsis(headline(m), HEADER_MAX), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: fitMessageText(m, SECTION_MAX, { prefix: mention(m), escape: escapeMrkdwn, orTitle: true }) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: cutWithEllipsis(context.join('  ·  '), SECTION_MAX) }] },
  ];
  if (buttons && !isClosed(m)) {
    const button = (action_id: string, text: string, style?: 'primary' | 'danger') => ({
      type: 'button',
      action_id,
      text: { type: 'plain_text', text },
      value: inc.id,
      ...(style ? { style } : {}),
    });
    const elements = [button(SLACK_ACTIONS.resolve, 'Resolve', 'danger'), button(SLACK_ACTIONS.snooze1h, 'Snooze 1h')];
    if (inc.status !== 'acknowledged' && m.kind !== 'acknowledged') elements.unshift(button(SLACK_ACTIONS.ack, 'Acknowledge', 'primary'));
    blocks.push({ type: 'actions', block_id: 'klaxon_actions', elements });
  }
  return blocks;
}

/** The approval request as Block Kit: its text, and buttons whose value is the run id. */
function approvalBlocks(m: NotificationMessage, runId: string): unknown[] {
  const button = (action_id: string, text: string, style: 'primary' | 'danger') => ({ type: 'button', action_id, text: { type: 'plain_text', text }, value: runId, style });
  return [
    { type: 'section', text: { type: 'mrkdwn', text: fitMessageText(m, SECTION_MAX, { escape: escapeMrkdwn, orTitle: true }) } },
    { type: 'actions', block_id: 'klaxon_runbook_approval', elements: [button(SLACK_ACTIONS.runbookApprove, 'Approve', 'primary'), button(SLACK_ACTIONS.runbookDeny, 'Deny', 'danger')] },
  ];
}

function secretsOf(c: SlackConfig): string[] {
  return [c.token?.reveal(), c.webhookUrl?.reveal()].filter((s): s is string => !!s);
}

/** Web API answers HTTP 200 with {"ok":false,"error":"…"} on failure: classify those. */
function checkOk(res: HttpResponse, method: string): { ts?: string; channel?: string } {
  const body = res.json<{ ok: boolean; error?: string; ts?: string; channel?: string; warning?: string }>();
  if (body.ok) return body;
  const error = body.error ?? 'unknown_error';
  const retryable = RETRYABLE_ERRORS.has(error);
  throw new DeliveryError(`slack ${method} failed: ${error}`, {
    retryable,
    status: error === 'ratelimited' || error === 'rate_limited' ? 429 : res.status,
    retryAfterMs: retryable ? (parseRetryAfter(res.headers['retry-after']) ?? (error.startsWith('rate') ? 1000 : undefined)) : undefined,
    vendorMessage: error,
  });
}

async function callApi(c: SlackConfig, method: string, body: Record<string, unknown>, ctx: NotifierContext) {
  const res = await ctx.http.send({
    url: appendPath(c.apiUrl, method),
    headers: { authorization: `Bearer ${c.token!.reveal()}`, 'content-type': 'application/json; charset=utf-8' },
    body,
    timeoutMs: c.timeout,
    secrets: secretsOf(c),
  });
  return checkOk(res, method);
}

function identity(c: SlackConfig) {
  return { ...(c.username ? { username: c.username } : {}), ...(c.iconEmoji ? { icon_emoji: c.iconEmoji } : {}) };
}

async function postWebhook(c: SlackConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  const res = await ctx.http.send({
    url: c.webhookUrl!.reveal(),
    body: { text: cutWithEllipsis(mention(m) + headline(m), SECTION_MAX), blocks: slackBlocks(m, c.buttons), ...identity(c) },
    timeoutMs: c.timeout,
    secrets: secretsOf(c),
  });
  return { response: `${res.status} ${res.text.slice(0, 50)}` };
}

export const slackNotifier: Notifier<'slack'> = {
  type: 'slack',
  directMessages: true,
  repageInThread: true,
  maxTextLength: SECTION_MAX,
  // Slack allows about one message per second per channel (short bursts tolerated).
  defaultRateLimit: { per: 1, everyMs: 1000 },

  async send(c, m, ctx) {
    if (c.webhookUrl) return postWebhook(c, m, ctx);
    const out = await callApi(
      c,
      'chat.postMessage',
      { channel: c.channel, text: cutWithEllipsis(mention(m) + headline(m), SECTION_MAX), blocks: slackBlocks(m, c.buttons), unfurl_links: false, ...identity(c) },
      ctx,
    );
    const thread: ThreadRef = { channel: out.channel ?? c.channel!, ts: out.ts ?? '' };
    return { thread, response: `posted ${thread.ts}` };
  },

  async update(c, m, ctx) {
    if (c.webhookUrl) return postWebhook(c, m, ctx);
    const { channel, ts } = m.thread;
    const done: string[] = [];
    if (c.updates !== 'thread') {
      // The original becomes the incident's current state: new status, no stale buttons once resolved,
      // after a partial resolve the alerts still firing.
      await callApi(c, 'chat.update', { channel, ts, text: cutWithEllipsis(headline(m), SECTION_MAX), blocks: slackBlocks(m, c.buttons) }, ctx);
      done.push('updated');
    }
    if (c.updates !== 'update') {
      const who = m.incident.acknowledgedBy && m.kind === 'acknowledged' ? ` by ${m.incident.acknowledgedBy}` : '';
      await callApi(
        c,
        'chat.postMessage',
        {
          channel,
          thread_ts: ts,
          text: fitMessageText(m, 4000, { prefix: `${headline(m)}${who}\n`, escape: escapeMrkdwn }),
          // A runbook's approval request: Approve / Deny right in the thread.
          ...(m.incident.approval && c.buttons ? { blocks: approvalBlocks(m, m.incident.approval.runId) } : {}),
          // A re-page in the thread must reach the channel too (chat.postMessage reply_broadcast);
          // nothing else is broadcast: ack, resolve and a partial resolve (`updated`) stay in the
          // thread, where reply_broadcast "defaults to false" (https://api.slack.com/methods/chat.postMessage).
          ...(m.kind === 'firing' || m.kind === 'escalated' ? { reply_broadcast: true } : {}),
          ...identity(c),
        },
        ctx,
      );
      done.push('replied');
    }
    return { thread: m.thread, response: `${done.join(' and ')} ${ts}` };
  },
};
