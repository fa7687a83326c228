import { createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startTestKlaxon, eventually, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import type { Klaxon } from '../../src/runtime';
import { projectRoot } from '../../src/paths';
import { generateSigningKey } from '../../src/auth/keyring';
import { tokenFor } from '../support/auth';

const run = promisify(execFile);
const firing = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'alertmanager', 'firing-group.json'), 'utf8'));

/** People acting on incidents: REST API, signed one-click links, Slack buttons and the CLI. */
describe('acting on incidents', () => {
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const tenant = uniqueTenant('act');
  const other = uniqueTenant('oth');
  const api = (path: string, body?: unknown, token = 'api-token') =>
    fetch(`${klaxon.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  beforeAll(async () => {
    receiver = await startReceiver();
    const t = (name: string, hook: string, apiToken: string) => `
  ${name}:
    webhook: { token: "\${${hook}}" }
    api: { token: "\${${apiToken}}" }
    slack: { signingSecret: "\${SLACK_SIGNING}" }
    users:
      carol: { name: Carol, email: carol@example.com }
    receivers:
      ops: { type: webhook, url: "\${URL}" }
    userChannels: { email: ops }
    escalationPolicies:
      slow:
        steps:
          - notify: { receivers: [ops] }
          - wait: 1h
          - notify: { receivers: [ops] }
    defaultPolicy: slow`;
    klaxon = await startTestKlaxon(
      `
server:
  publicUrl: http://klaxon.test
  linkSigningKey: "\${LINK_KEY}"
  auth:
    keys: [{ kid: k1, privateKey: "\${TOKEN_KEY}" }]
tenants:${t(tenant, 'HOOK', 'API')}${t(other, 'HOOK2', 'API2')}
`,
      { HOOK: 'hook-token', API: 'api-token', HOOK2: 'hook2', API2: 'api2', URL: `${receiver.url}/ops`, LINK_KEY: 'link-signing-key-0123456789', SLACK_SIGNING: 'slack-signing-secret', TOKEN_KEY: generateSigningKey().pem },
    );
  });
  afterAll(async () => {
    await klaxon?.stop();
    await receiver?.close();
  });

  async function openIncident(name: string): Promise<string> {
    const res = await fetch(`${klaxon.url}/webhook/${tenant}`, {
      method: 'POST',
      headers: { authorization: 'Bearer hook-token', 'content-type': 'application/json' },
      body: JSON.stringify({ ...firing, groupKey: `{}:{case="${name}-${Date.now()}"}` }),
    });
    const id = ((await res.json()) as { incidents: Array<{ incidentId: string }> }).incidents[0].incidentId;
    await eventually(async () => (await api(`/api/v1/incidents/${id}`)).status === 200, 10_000, 'audit row');
    return id;
  }

  test('ack, then a second ack is a 409 with the reason; unack; snooze; escalate; resolve; acting after resolve is a 409 and audited', async () => {
    const id = await openIncident('api');
    // Each person with their own token: the actor is the token's subject.
    const [alice, bob, late] = await Promise.all(['alice', 'bob', 'late'].map((user) => tokenFor(klaxon, tenant, user)));
    let res = await api(`/api/v1/incidents/${id}/ack`, { note: 'looking' }, alice);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { state: { status: string; acknowledgedBy: string } }).state).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'alice' });

    res = await api(`/api/v1/incidents/${id}/ack`, {}, bob);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { message: string }).message).toMatch(/already acknowledged by alice/);

    res = await api(`/api/v1/incidents/${id}/unack`, {}, alice);
    expect(((await res.json()) as { state: { status: string } }).state.status).toBe('firing');

    res = await api(`/api/v1/incidents/${id}/snooze`, { duration: '30m' }, alice);
    const snoozed = ((await res.json()) as { state: { status: string; snoozedUntil: string } }).state;
    expect(snoozed.status).toBe('acknowledged');
    expect(Date.parse(snoozed.snoozedUntil) - Date.now()).toBeGreaterThan(29 * 60_000);

    res = await api(`/api/v1/incidents/${id}/snooze`, { duration: 'soon' }, alice);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('duration');

    res = await api(`/api/v1/incidents/${id}/escalate`, {}, bob);
    expect(((await res.json()) as { state: { status: string } }).state.status).toBe('firing');
    // Escalate-now skipped the 1h wait: the second page arrives at once.
    await eventually(async () => receiver.received.map((r) => JSON.parse(r.body)).filter((b) => b.incident.id === id && b.kind === 'firing').length >= 2, 10_000, 'the escalated page');

    res = await api(`/api/v1/incidents/${id}/resolve`, { note: 'fixed' }, bob);
    expect(((await res.json()) as { state: { status: string } }).state.status).toBe('resolved');
    await eventually(async () => {
      const r = await api(`/api/v1/incidents/${id}/ack`, {}, late);
      return r.status === 409 ? r : undefined;
    }, 10_000, 'a 409 after resolve');
    // Audit rows are written just after the workflow task that recorded them has committed.
    type Timeline = Array<{ kind: string; actor: string; details: { action?: string } }>;
    const timeline = await eventually(async () => {
      const t = ((await (await api(`/api/v1/incidents/${id}`)).json()) as { timeline: Timeline }).timeline;
      return t.some((e) => e.kind === 'action.rejected' && e.actor === 'late') && t;
    }, 10_000, "the late ack's refusal in the timeline");
    const kinds = timeline.map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['acknowledged', 'action.rejected', 'unacknowledged', 'snoozed', 'escalated', 'resolved']));
    expect(timeline.filter((e) => e.kind === 'action.rejected').map((e) => e.actor)).toEqual(expect.arrayContaining(['bob', 'late']));
  });

  test("another tenant's token cannot act on the incident", async () => {
    const id = await openIncident('isolation');
    const res = await api(`/api/v1/incidents/${id}/ack`, { actor: 'mallory' }, 'api2');
    expect(res.status).toBe(404);
    await api(`/api/v1/incidents/${id}/resolve`, { actor: 'x' });
  });

  test('the one-click link: GET only asks (scanners and unfurlers act on nothing), POST acknowledges once, and cannot be forged', async () => {
    const id = await openIncident('link');
    const page = await eventually(async () => receiver.received.map((r) => JSON.parse(r.body)).find((b) => b.incident.id === id), 10_000, 'the page');
    const link: string = page.incident.links.ack;
    expect(link).toMatch(/^http:\/\/klaxon\.test\/a\//);
    const path = link.replace('http://klaxon.test', '');
    const forged = path.slice(0, -3) + (path.endsWith('aaa') ? 'bbb' : 'aaa');
    expect((await fetch(`${klaxon.url}${forged}`)).status).toBe(400);
    expect((await fetch(`${klaxon.url}${forged}`, { method: 'POST' })).status).toBe(400);

    // A mail scanner fetching the link twice: a confirmation page, and the incident still fires.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${klaxon.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const html = await res.text();
      expect(html).toContain(`<form method="post" action="${path}">`);
      expect(html).toMatch(/Acknowledge/);
    }
    const before = ((await (await api(`/api/v1/incidents/${id}/state`)).json()) as { state: { status: string } }).state;
    expect(before.status).toBe('firing');

    // The person presses the button (a form post): acknowledged, once.
    const res = await fetch(`${klaxon.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/acknowledged by one-click link/);
    const again = await fetch(`${klaxon.url}${path}`, { method: 'POST' });
    expect(again.status).toBe(410);
    expect(await again.text()).toMatch(/already been used/);
    expect((await fetch(`${klaxon.url}${path}`)).status).toBe(410);
    await api(`/api/v1/incidents/${id}/resolve`, { actor: 'x' });
  });

  test("the message's Incident link opens a page a person can read without an API token; it cannot acknowledge, and the ack link cannot read it", async () => {
    const id = await openIncident('page');
    const page = await eventually(async () => receiver.received.map((r) => JSON.parse(r.body)).find((b) => b.incident.id === id), 10_000, 'the page');
    // The JSON API stays there for programs.
    expect(page.incident.links.api).toBe(`http://klaxon.test/api/v1/incidents/${id}`);
    const link: string = page.incident.links.incident;
    expect(link).toMatch(/^http:\/\/klaxon\.test\/i\//);
    const path = link.replace('http://klaxon.test', '');
    await eventually(async () => {
      const res = await fetch(`${klaxon.url}${path}`);
      return res.status === 200 && (await res.text()).includes('notified');
    }, 10_000, 'the page in the timeline');
    // No Authorization header: the signed link is the credential. Opened twice: a page link is not single-use.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${klaxon.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const html = await res.text();
      expect(html).toContain(page.incident.title.replace(/&/g, '&#38;'));
      expect(html).toMatch(/Status<\/th><td>firing/);
      expect(html).toMatch(/<td>opened<\/td>/);
      expect(html).toMatch(/Paged<\/th><td>ops/);
      expect(html).toContain(`/workflows/${encodeURIComponent(page.incident.workflowId)}/`);
    }
    // It reads; it never acts.
    expect((await fetch(`${klaxon.url}${path.replace('/i/', '/a/')}`, { method: 'POST' })).status).toBe(400);
    expect(((await (await api(`/api/v1/incidents/${id}/state`)).json()) as { state: { status: string } }).state.status).toBe('firing');
    // And the single-use ack link is not a reading pass; a forged page link is refused.
    expect((await fetch(`${klaxon.url}${page.incident.links.ack.replace('http://klaxon.test/a/', '/i/')}`)).status).toBe(400);
    expect((await fetch(`${klaxon.url}${path.slice(0, -3)}${path.endsWith('aaa') ? 'bbb' : 'aaa'}`)).status).toBe(400);
    await api(`/api/v1/incidents/${id}/resolve`, { actor: 'x' });
  });

  test('Slack buttons: a signed click acknowledges; a bad or stale signature is refused', async () => {
    const id = await openIncident('slack');
    const payload = { type: 'block_actions', user: { id: 'U123', username: 'dave' }, actions: [{ action_id: 'klaxon.ack', value: id }] };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const sign = (ts: number, secret = 'slack-signing-secret') => 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
    const post = (ts: number, sig: string) =>
      fetch(`${klaxon.url}/integrations/slack/actions`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig },
        body,
      });
    const now = Math.floor(Date.now() / 1000);
    expect((await post(now, sign(now, 'wrong-secret'))).status).toBe(401);
    expect((await post(now - 600, sign(now - 600))).status).toBe(401);
    const ok = await post(now, sign(now));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { text: string }).text).toMatch(/acknowledged/);
    const state = ((await (await api(`/api/v1/incidents/${id}/state`)).json()) as { state: { acknowledgedBy: string } }).state;
    expect(state.acknowledgedBy).toBe('slack:dave');
    await api(`/api/v1/incidents/${id}/resolve`, { actor: 'x' });
  });

  test('reassign pages the named user now through their contact channel', async () => {
    const id = await openIncident('reassign');
    const res = await api(`/api/v1/incidents/${id}/reassign`, { actor: 'alice', user: 'carol' });
    expect(((await res.json()) as { state: { assignee: string } }).state.assignee).toBe('carol');
    const paged = await eventually(async () => receiver.received.map((r) => JSON.parse(r.body)).find((b) => b.incident.id === id && b.recipient?.id === 'carol'), 10_000, 'page to carol');
    expect(paged.recipient.email).toBe('carol@example.com');
    await api(`/api/v1/incidents/${id}/resolve`, { actor: 'x' });
  });

  test('the CLI lists, acknowledges and resolves through the API', async () => {
    const id = await openIncident('cli');
    const env = { ...process.env, KLAXON_URL: klaxon.url, KLAXON_TOKEN: await tokenFor(klaxon, tenant, 'erin'), NODE_OPTIONS: '' };
    const cli = (...args: string[]) => run(process.execPath, [join(projectRoot, 'bin', 'klaxon.js'), ...args], { env });
    const list = await cli('incidents', '--status', 'firing');
    expect(list.stdout).toContain(id);
    expect((await cli('ack', id)).stdout).toMatch(new RegExp(`${id}: acknowledged \\(by erin\\)`));
    const refused = await cli('ack', id).catch((err: { code: number; stderr: string }) => err);
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toMatch(/409: incident is already acknowledged by erin/);
    expect((await cli('resolve', id)).stdout).toContain('resolved');
  });
});
