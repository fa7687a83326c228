import { createHmac } from 'node:crypto';
import { parseSlackAction, verifySlackSignature, SLACK_ACTIONS, SlackActionError } from '../../../src/notifiers/slackInteractivity';
import { slackBlocks } from '../../../src/notifiers/slack';
import { message } from '../../support/vendors/messages';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

function sign(ts: string, body: string, secret = SECRET): string {
  return 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
}

function form(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function blockActions(action_id: string, value = 'inc-7f3a9c') {
  return {
    type: 'block_actions',
    user: { id: 'U0G9QF9C6', username: 'alice', name: 'alice', team_id: 'T0CAG' },
    api_app_id: 'A0CA5',
    container: { type: 'message', message_ts: '1548261231.000200', channel_id: 'C123ABC456' },
    actions: [{ type: 'button', block_id: 'klaxon_actions', action_id, value, text: { type: 'plain_text', text: 'x' }, action_ts: '1548426417.840180' }],
  };
}

describe('verifySlackSignature', () => {
  const body = form(blockActions(SLACK_ACTIONS.ack));
  const now = new Date('2025-01-02T03:04:05Z');
  const ts = String(Math.floor(now.getTime() / 1000));

  it('accepts Slack’s v0 HMAC-SHA256 of "v0:{ts}:{body}"', () => {
    expect(verifySlackSignature({ signingSecret: SECRET, timestamp: ts, body, signature: sign(ts, body), now })).toBe(true);
    expect(verifySlackSignature({ signingSecret: SECRET, timestamp: ts, body: Buffer.from(body), signature: sign(ts, body), now: now.getTime() })).toBe(true);
  });

  it('rejects a wrong secret, a tampered body, a malformed or missing signature', () => {
    expect(verifySlackSignature({ signingSecret: SECRET, timestamp: ts, body, signature: sign(ts, body, 'other-secret'), now })).toBe(false);
    expect(verifySlackSignature({ signingSecret: SECRET, timestamp: ts, body: body + 'x', signature: sign(ts, body), now })).toBe(false);
    expect(verifySlackSignature({ signingSecret: SECRET, timestamp: ts, body, signature: 'v0=abc', now })).toBe(false);
    expect(verifySlackSignature({ signingSecret: SECRET, timestamp: ts, body, signature: undefined, now })).toBe(false);
  });

  it('rejects requests more than five minutes old (or ahead)', () => {
    const old = String(Number(ts) - 301);
    expect(verifySlackSignature({ signingSecret: SECRET, timestamp: old, body, signature: sign(old, body), now })).toBe(false);
    const edge = String(Number(ts) - 300);
    expect(verifySlackSignature({ signingSecret: SECRET, timestamp: edge, body, signature: sign(edge, body), now })).toBe(true);
    const future = String(Number(ts) + 301);
    expect(verifySlackSignature({ signingSecret: SECRET, timestamp: future, body, signature: sign(future, body), now })).toBe(false);
  });
});

describe('parseSlackAction', () => {
  it('reads ack, resolve and snooze 1h with the incident id and user', () => {
    expect(parseSlackAction(form(blockActions(SLACK_ACTIONS.ack)))).toEqual({ incidentId: 'inc-7f3a9c', action: 'ack', user: 'alice', userId: 'U0G9QF9C6' });
    expect(parseSlackAction(form(blockActions(SLACK_ACTIONS.resolve)))).toMatchObject({ action: 'resolve' });
    expect(parseSlackAction(form(blockActions(SLACK_ACTIONS.snooze1h)))).toMatchObject({ action: 'snooze', snoozeMs: 3_600_000 });
  });

  it('understands every button the Slack notifier renders', () => {
    const actions = (slackBlocks(message(), true) as any[]).find((b) => b.type === 'actions');
    const parsed = actions.elements.map((e: any) => parseSlackAction(form(blockActions(e.action_id, e.value))));
    expect(parsed.map((p: any) => [p.action, p.incidentId])).toEqual([
      ['ack', 'inc-7f3a9c'],
      ['resolve', 'inc-7f3a9c'],
      ['snooze', 'inc-7f3a9c'],
    ]);
  });

  it("reads a runbook approval's approve and deny with the run id and its incident; refuses a value that is not a run id", () => {
    const runId = 'runbook/inc-7f3a9c/restart-service/2';
    expect(parseSlackAction(form(blockActions(SLACK_ACTIONS.runbookApprove, runId)))).toEqual({ incidentId: 'inc-7f3a9c', runId, action: 'runbookApprove', user: 'alice', userId: 'U0G9QF9C6' });
    expect(parseSlackAction(form(blockActions(SLACK_ACTIONS.runbookDeny, runId)))).toMatchObject({ action: 'runbookDeny', runId });
    expect(() => parseSlackAction(form(blockActions(SLACK_ACTIONS.runbookApprove, 'inc-7f3a9c')))).toThrow(/carries no runbook run id/);
  });

  it('throws SlackActionError for other payloads', () => {
    expect(() => parseSlackAction('foo=bar')).toThrow(SlackActionError);
    expect(() => parseSlackAction('payload=%7Bnot-json')).toThrow(/not JSON/);
    expect(() => parseSlackAction(form({ type: 'view_submission', user: { id: 'U1' } }))).toThrow(SlackActionError);
    expect(() => parseSlackAction(form(blockActions('other.app.button')))).toThrow(/unknown action/);
    expect(() => parseSlackAction(form(blockActions(SLACK_ACTIONS.ack, '')))).toThrow(/no incident id/);
  });
});
