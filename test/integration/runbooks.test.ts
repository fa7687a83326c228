import { eventually, postAlert, startTestKlaxon, tenantYaml, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { AMTOOL_BIN, startAlertmanager } from '../support/alertmanager';
import type { Klaxon } from '../../src/runtime';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/paths';
import { INCIDENT_WORKFLOW, alertsSignal, stateQuery } from '../../workflows/definitions';
import { incidentWorkflowId } from '../../src/incident/ids';
import { generateSigningKey } from '../../src/auth/keyring';
import { tokenFor } from '../support/auth';
import { RunbookStore } from '../../src/store/runbooks';

const run = promisify(execFile);

type Entry = { kind: string; actor: string; seq?: number; details: Record<string, unknown> };

/**
 * Runbooks as child workflows of their incident (issue #9): real Temporal dev server and worker,
 * real Postgres, the test runbooks of test/fixtures/runbooks (bundled by globalSetup), an HTTP
 * double as the endpoint they call.
 */
describe('runbooks', () => {
  let klaxon: Klaxon;
  let probe: Awaited<ReturnType<typeof startReceiver>>;
  let ops: Awaited<ReturnType<typeof startReceiver>>;
  /** People's own channel (userChannels.email): named approvers hear of a request here. */
  let people: Awaited<ReturnType<typeof startReceiver>>;
  const tenant = uniqueTenant('rb');
  /** The probe answers 500 for incidents listed here. */
  const failFor = new Set<string>();
  /** The conversation answers 503 (retry in 30 s) to approval requests of incidents listed here. */
  const holdApprovalFor = new Set<string>();
  const taskQueue = `rb-${tenant}`;

  let alertmanager: Awaited<ReturnType<typeof startAlertmanager>>;

  beforeAll(async () => {
    // A real Alertmanager for silence-flapping's silences (its own webhook goes nowhere here).
    alertmanager = await startAlertmanager({ webhookUrl: 'http://127.0.0.1:9/unused', token: 'unused' });
    probe = await startReceiver((r) => (failFor.has(JSON.parse(r.body).incident) ? { status: 500, body: 'broken' } : { status: 200, body: '{"ok":true}' }));
    ops = await startReceiver(async (r) => {
      const m = JSON.parse(r.body);
      // A slow vendor for the first page of service "slowpage": the approval request comes meanwhile.
      if (m.kind === 'firing' && m.incident.commonLabels?.service === 'slowpage') await new Promise((res) => setTimeout(res, 3000));
      return m.kind === 'updated' && m.incident.approval && holdApprovalFor.has(m.incident.id) ? { status: 503, body: 'busy', headers: { 'retry-after': '30' } } : { status: 200, body: '{"ok":true}' };
    });
    people = await startReceiver();
    klaxon = await startTestKlaxon(
      'server:\n  linkSigningKey: "${LINK}"\n  auth:\n    keys: [{ kid: k1, privateKey: "${TOKEN_KEY}" }]\n' +
      tenantYaml(
        tenant,
        `    users:
      alice: { name: Alice, email: alice@example.com, slack: U0ALICE }
      bob: { name: Bob, email: bob@example.com, slack: U0BOB }
      carol: { name: Carol, email: carol@example.com }
    schedules:
      db-oncall: { timeZone: UTC, layers: [{ users: [carol], rotation: 1w, start: "2024-01-01" }] }
    userChannels: { email: people }
    receivers:
      ops: { type: webhook, url: "\${URL}" }
      people: { type: webhook, url: "\${PEOPLE}" }
    escalationPolicies:
      p: { steps: [{ notify: { receivers: [ops] } }, { wait: 1h }, { notify: { receivers: [ops] } }, { wait: 1h }] }
    defaultPolicy: p
    runbooks: { http: { allowHosts: ["127.0.0.1"] }, alertmanagerUrl: "${alertmanager.url}" }
    slack: { signingSecret: "\${SLACK_SIGNING}" }
`,
      ),
      { HOOK: 'hook', API: 'api', URL: ops.url, PEOPLE: people.url, LINK: 'runbook-link-signing-key-0123456789', SLACK_SIGNING: 'slack-signing-secret', TOKEN_KEY: generateSigningKey().pem },
      { KLAXON_TASK_QUEUE: taskQueue },
    );
  });
  afterAll(async () => {
    await klaxon?.stop();
    await Promise.all([probe?.close(), ops?.close(), people?.close(), alertmanager?.stop()]);
  });

  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${klaxon.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: 'Bearer api', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  /** A signed click on a runbook button in Slack, by the Slack user `userId`. */
  const slackClick = (runId: string, user: { id: string; username: string }, secret = 'slack-signing-secret', action = 'klaxon.runbook.approve') => {
    const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user, actions: [{ action_id: action, value: runId }] }))}`;
    const ts = Math.floor(Date.now() / 1000);
    return fetch(`${klaxon.url}/integrations/slack/actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex') },
      body,
    });
  };
  const timeline = async (id: string): Promise<Entry[]> => (await api(`/api/v1/incidents/${id}`)).body.timeline ?? [];
  const calls = (id: string) => probe.received.filter((r) => JSON.parse(r.body).incident === id);
  const fire = (alertname: string, service: string, extra: Record<string, string> = {}) =>
    postAlert(klaxon.url, tenant, { groupKey: `{}:{alertname="${alertname}",service="${service}"}`, labels: { alertname, service, probe: probe.url, ...extra }, fingerprint: `fp-${alertname}-${service}` });

  test('an auto runbook runs beside the escalation: its steps land in the incident timeline, and a second incident of the same service waits its turn', async () => {
    const { incidentId: id } = await fire('RunbookProbe', 'api');
    // While the first run sleeps between its calls, the same service fires under another group.
    await eventually(async () => calls(id).length >= 1, 20_000, 'the first call');
    const { incidentId: twin } = await postAlert(klaxon.url, tenant, { groupKey: '{}:{twin}', labels: { alertname: 'RunbookProbe', service: 'api', probe: probe.url, twin: 'yes' }, fingerprint: 'fp-twin' });
    await eventually(async () => calls(id).length >= 2, 20_000, 'the second call');

    const events = await eventually(async () => {
      const t = await timeline(id);
      return t.some((e) => e.kind === 'runbook.ended') ? t : undefined;
    }, 20_000, 'the run in the timeline');
    const kinds = events.map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['opened', 'notified', 'runbook.started', 'runbook.step', 'runbook.note', 'runbook.succeeded', 'runbook.ended']));
    // The run's own rows come in order: started, http, note, sleep, http, succeeded.
    const run = events.filter((e) => e.kind.startsWith('runbook.') && e.seq === undefined);
    expect(run.map((e) => (e.kind === 'runbook.step' ? `step:${e.details.step}` : e.kind))).toEqual(['runbook.started', 'step:http', 'runbook.note', 'step:notify', 'step:sleep', 'step:http', 'runbook.succeeded']);
    // ctx.notify: a quiet reply in the paged conversation.
    const note = ops.received.map((r) => JSON.parse(r.body)).find((b) => b.incident.id === id && b.kind === 'updated' && b.incident.note);
    expect(note.text).toMatch(/^Runbook test-probe: probe answered 200; calling again in 2s\nFiring:/);
    expect(events.find((e) => e.kind === 'runbook.ended')!.details).toMatchObject({ runbook: 'test-probe', outcome: 'succeeded', runId: `runbook/${id}/test-probe/1` });
    // The page did not wait for the runbook.
    expect(kinds.indexOf('notified')).toBeLessThan(kinds.indexOf('runbook.ended'));

    // One run per runbook and service at a time: the twin was refused, with the reason.
    const twinEvents = await eventually(async () => {
      const t = await timeline(twin);
      return t.some((e) => e.kind === 'runbook.skipped') ? t : undefined;
    }, 10_000, "the twin's refusal");
    expect(twinEvents.find((e) => e.kind === 'runbook.skipped')!.details.reason).toMatch(/already running for service=api/);
    expect(calls(twin)).toHaveLength(0);

    const runs = (await api(`/api/v1/incidents/${id}/runbooks`)).body;
    expect(runs.runs).toEqual([expect.objectContaining({ runbook: 'test-probe', outcome: 'succeeded', requestedBy: 'klaxon' })]);
    // silence-flapping matches every alert but starts only for a group that keeps coming back.
    expect(runs.matching).toEqual([expect.objectContaining({ name: 'silence-flapping', minFiredInLastHour: 4 }), expect.objectContaining({ name: 'test-probe', mode: 'auto' })]);
    const metrics = await (await fetch(`${klaxon.url}/metrics`)).text();
    expect(metrics).toContain(`klaxon_runbook_runs_total{tenant="${tenant}",runbook="test-probe",outcome="succeeded"} 1`);
  }, 60_000);

  test('a suggested runbook waits for approval: a deny ends it; an approval runs it, and its escalate step pages the next step now', async () => {
    const { incidentId: denied } = await fire('RunbookApproval', 'db');
    const pending = await eventually(async () => ((await timeline(denied)).some((e) => e.kind === 'runbook.approval.asked') ? true : undefined), 20_000, 'the approval request');
    expect(pending).toBe(true);
    expect(calls(denied)).toHaveLength(0);
    // Nobody approves what is not pending; the wrong incident's run does not exist.
    expect((await api(`/api/v1/incidents/${denied}/runbooks/test-approval/2/approve`, { actor: 'alice' })).status).toBe(404);
    const deny = await api(`/api/v1/incidents/${denied}/runbooks/test-approval/1/deny`, { actor: 'alice', note: 'not now' });
    expect(deny.status).toBe(200);
    await eventually(async () => (await timeline(denied)).some((e) => e.kind === 'runbook.ended' && e.details.outcome === 'denied'), 10_000, 'the denied run');
    expect((await api(`/api/v1/incidents/${denied}/runbooks/test-approval/1/approve`, { actor: 'bob' })).status).toBeGreaterThanOrEqual(404);
    expect(calls(denied)).toHaveLength(0);

    const { incidentId: approved } = await fire('RunbookApproval', 'cache');
    failFor.add(approved);
    await eventually(async () => (await timeline(approved)).some((e) => e.kind === 'runbook.approval.asked'), 20_000, 'the approval request');
    // The paged conversation hears of the request, with a signed link that answers it once.
    const ask = await eventually(async () => ops.received.map((r) => JSON.parse(r.body)).find((b) => b.incident.id === approved && b.kind === 'updated' && b.incident.approval), 20_000, 'the approval request in the conversation');
    expect(ask.text).toMatch(/Runbook test-approval asks for approval/);
    const path = ask.incident.links.approve.replace('http://localhost:8080', '');
    expect(ask.text).toContain(ask.incident.links.approve);
    const confirm = await fetch(`${klaxon.url}${path}`);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toMatch(/name="decision" value="approve"/);
    const pagesBefore = ops.received.filter((r) => JSON.parse(r.body).incident.id === approved && JSON.parse(r.body).kind === 'firing').length;
    const form = (decision: string) => fetch(`${klaxon.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `decision=${decision}` });
    const ok = await form('approve');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/approved by approval link/);
    expect((await form('deny')).status).toBe(410);
    // The probe answers 500; the runbook escalates: the policy's next notify step pages now, not in an hour.
    await eventually(async () => ops.received.filter((r) => JSON.parse(r.body).incident.id === approved && JSON.parse(r.body).kind === 'firing').length > pagesBefore, 20_000, 'the escalated page');
    // Audit rows land a few milliseconds after the page they record (README, delivery guarantee).
    const t = await eventually(async () => {
      const x = await timeline(approved);
      return x.some((e) => e.kind === 'escalated') ? x : undefined;
    }, 10_000, 'the escalated row');
    expect(t.find((e) => e.kind === 'runbook.approved')!.actor).toBe('approval link');
    expect(t.find((e) => e.kind === 'escalated')!.actor).toBe('runbook:test-approval');
  }, 60_000);

  test('a person runs a runbook by name; an unknown one is refused with the reason; resolving the incident cancels a run still going', async () => {
    const { incidentId: id } = await fire('ManualCase', 'web');
    await eventually(async () => (await timeline(id)).some((e) => e.kind === 'notified'), 20_000, 'the page');
    const unknown = await api(`/api/v1/incidents/${id}/runbooks/no-such-runbook/run`, { actor: 'dave' });
    expect(unknown.status).toBe(409);
    expect(unknown.body.message).toMatch(/no runbook named no-such-runbook/);
    // test-probe matches alertname RunbookProbe only: asked for by name on another incident, it is refused as not matching.
    const mismatch = await api(`/api/v1/incidents/${id}/runbooks/test-probe/run`, { actor: 'dave' });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.message).toMatch(/does not match test-probe/);

    const { incidentId: long } = await fire('RunbookProbe', 'search', {});
    await eventually(async () => calls(long).length >= 1, 20_000, 'the first call');
    await api(`/api/v1/incidents/${long}/resolve`, { actor: 'erin' });
    const t = await eventually(async () => {
      const x = await timeline(long);
      return x.some((e) => e.kind === 'runbook.cancelled') ? x : undefined;
    }, 20_000, 'the cancelled run');
    expect(t.find((e) => e.kind === 'resolved')!.details.afterRunbook).toBe('test-probe');
    // Its second call never happened.
    await new Promise((r) => setTimeout(r, 2500));
    expect(calls(long)).toHaveLength(1);
  }, 60_000);

  // A runbook's claim (runbook_runs, one open run per concurrency key) is taken by the match
  // activity; if the incident ends while that activity runs, its result used to be dropped with the
  // run (or a run started after the resolve and was never cancelled), and the open claim blocked
  // every later run of that runbook for that service.
  test('an incident resolved while its runbooks are being matched starts none, and the claim is released', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let claimed: string | undefined;
    const claim = RunbookStore.prototype.claim;
    RunbookStore.prototype.claim = async function (this: RunbookStore, ...args: Parameters<typeof claim>) {
      const out = await claim.apply(this, args);
      if (args[0].tenant === tenant && args[0].runbook === 'test-probe' && claimed === undefined) {
        claimed = args[0].runId;
        await gate;
      }
      return out;
    };
    try {
      const groupKey = '{}:{alertname="RunbookProbe",service="raceresolve"}';
      const { incidentId: id } = await fire('RunbookProbe', 'raceresolve');
      await eventually(async () => claimed !== undefined, 20_000, 'the claim');
      expect((await api(`/api/v1/incidents/${id}/resolve`, { actor: 'erin' })).status).toBe(200);
      release();
      const row = await eventually(async () => {
        const r = await klaxon.db.pool.query<{ outcome: string | null; ended: boolean }>('SELECT outcome, ended_at IS NOT NULL AS ended FROM runbook_runs WHERE run_id = $1', [claimed]);
        return r.rows[0]?.ended ? r.rows[0] : undefined;
      }, 20_000, 'the claim released');
      expect(row.outcome).toBe('cancelled');
      await klaxon.client.workflow.getHandle(incidentWorkflowId(tenant, groupKey)).result();
      const t = await timeline(id);
      expect(t.filter((e) => e.kind === 'runbook.started')).toEqual([]);
      expect(t.find((e) => e.kind === 'runbook.skipped')?.details).toMatchObject({ runbook: 'test-probe', reason: 'the incident resolved before it started' });
      expect(calls(id)).toHaveLength(0);
    } finally {
      RunbookStore.prototype.claim = claim;
      release();
    }
  }, 60_000);

  test('klaxon runbook: list, and run --dry-run prints the plan with the incident\'s parameters and starts nothing', async () => {
    const { incidentId: id } = await fire('DryRunCase', 'payments');
    await eventually(async () => (await api(`/api/v1/incidents/${id}`)).status === 200, 10_000, 'the incident');
    const env = { ...process.env, KLAXON_URL: klaxon.url, KLAXON_TOKEN: 'api' };
    const cli = (...args: string[]) => run('npx', ['tsx', 'src/cli/main.ts', 'runbook', ...args], { cwd: projectRoot, env });
    const list = await cli('list');
    expect(list.stdout).toMatch(/restart-service\s+suggest\s+alertname=~"ServiceDown\|TargetDown"/);
    const plan = await cli('run', id, 'restart-service', '--dry-run', '--param', 'deployUrl=http://deploy.test/restart');
    expect(plan.stdout).toContain('restart-service (suggest) params {"service":"payments","deployUrl":"http://deploy.test/restart"}');
    expect(plan.stdout).toMatch(/2\. http \{"method":"POST","url":"http:\/\/deploy\.test\/restart"/);
    expect((await api(`/api/v1/incidents/${id}/runbooks`)).body.runs).toEqual([]);
  }, 60_000);

  test('an approval asked while the first page is still on its way reaches that conversation once the page has arrived', async () => {
    const { incidentId: id } = await fire('RunbookApproval', 'slowpage');
    await eventually(async () => (await timeline(id)).some((e) => e.kind === 'runbook.approval.asked'), 20_000, 'the approval request');
    const told = await eventually(async () => ops.messages().find((b) => b.incident.id === id && b.kind === 'updated' && b.incident.approval), 30_000, 'the request in the conversation');
    const page = ops.messages().find((b) => b.incident.id === id && b.kind === 'firing')!;
    expect(told.at).toBeGreaterThan(page.at);
    expect(told.text).toMatch(/Runbook test-approval asks for approval/);
    await api(`/api/v1/incidents/${id}/runbooks/test-approval/1/deny`, {});
  }, 60_000);

  test('an approval request still on its way when the incident continues as new reaches the conversation as the request it was, with its link', async () => {
    const groupKey = '{}:{alertname="RunbookApproval",service="can"}';
    const labels = { alertname: 'RunbookApproval', service: 'can', probe: probe.url };
    const alertOf = (i: number) => ({ fingerprint: `can-${i}`, status: 'firing' as const, labels, annotations: {}, startsAt: new Date().toISOString() });
    const handle = await klaxon.client.workflow.start(INCIDENT_WORKFLOW, {
      taskQueue,
      workflowId: incidentWorkflowId(tenant, groupKey),
      args: [{ tenant, groupKey, alerts: [alertOf(0)], commonLabels: labels, receivedAt: new Date().toISOString(), runbooks: true, continueAsNewAfterEvents: 60 }],
    });
    const first = await handle.query(stateQuery);
    holdApprovalFor.add(first.id);
    const asks = () => ops.received.map((r) => JSON.parse(r.body)).filter((b) => b.incident.id === first.id && b.kind === 'updated');
    await eventually(async () => asks().length >= 1, 40_000, 'the first try of the approval request');
    expect(asks()[0].incident.approval).toMatchObject({ runbook: 'test-approval' });
    // Acknowledged (the request is for the people paged, not a page), the history grows while the
    // request waits out its Retry-After: the incident continues as new.
    expect((await api(`/api/v1/incidents/${first.id}/ack`, { actor: 'alice' })).status).toBe(200);
    for (let i = 1; i <= 30; i++) await handle.signal(alertsSignal, { alerts: [alertOf(i)], receivedAt: new Date().toISOString() });
    await eventually(async () => (await klaxon.client.workflow.getHandle(handle.workflowId).query(stateQuery)).runId !== first.runId, 20_000, 'continue-as-new');
    holdApprovalFor.delete(first.id);
    const told = await eventually(async () => asks().slice(1).at(-1), 40_000, 'the request after continue-as-new');
    expect(told.text).toMatch(/Runbook test-approval asks for approval/);
    expect(told.incident.approval).toMatchObject({ runbook: 'test-approval' });
    const path = told.incident.links.approve.replace('http://localhost:8080', '');
    const deny = await fetch(`${klaxon.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=deny' });
    expect(deny.status).toBe(200);
    await eventually(async () => (await timeline(first.id)).some((e) => e.kind === 'runbook.ended' && e.details.outcome === 'denied'), 20_000, 'the denied run');
    await api(`/api/v1/incidents/${first.id}/resolve`, { actor: 'alice' });
  }, 90_000);

  test('an approval that names its approvers reaches each of them with a link of their own; nobody else can answer it', async () => {
    const { incidentId: id } = await fire('RunbookApprovers', 'node1');
    const asked = await eventually(async () => (await timeline(id)).find((e) => e.kind === 'runbook.approval.asked'), 20_000, 'the approval request');
    expect(asked.details.approvers).toEqual(['alice', 'carol']);
    expect((await timeline(id)).find((e) => e.kind === 'runbook.approval.unreachable')!.details).toMatchObject({ who: 'nobody', reason: 'unknown user' });
    // Each approver in their own channel, with a link signed for them; the paged conversation is told who decides, without a link.
    const direct = await eventually(async () => {
      const m = people.messages().filter((b) => b.incident.id === id && b.incident.approval);
      return m.length >= 2 ? m : undefined;
    }, 20_000, 'the approvers told');
    expect(direct.map((m) => m.recipient.id).sort()).toEqual(['alice', 'carol']);
    for (const m of direct) expect(m.text).toContain(m.incident.links.approve);
    const inThread = await eventually(async () => ops.messages().find((b) => b.incident.id === id && b.incident.approval), 20_000, 'the conversation told');
    expect(inThread.text).toMatch(/Runbook test-approvers asks alice, carol for approval/);
    expect(inThread.incident.links.approve).toBeUndefined();
    // Bob is a tenant user, but not named; a Slack user Klaxon does not know is nobody.
    const runId = `runbook/${id}/test-approvers/1`;
    expect(((await (await slackClick(runId, { id: 'U0BOB', username: 'bob' })).json()) as { text: string }).text).toBe(`Not done: only alice, carol may answer this request, not bob`);
    expect(((await (await slackClick(runId, { id: 'U0EVE', username: 'eve' })).json()) as { text: string }).text).toBe(`Not done: only alice, carol may answer this request`);
    // Through the API a person answers as themselves: bob's token (write) is refused, as the request does not name him.
    const asBob = await fetch(`${klaxon.url}/api/v1/incidents/${id}/runbooks/test-approvers/1/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenFor(klaxon, tenant, 'bob', ['read', 'write'])}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(asBob.status).toBe(409);
    expect(((await asBob.json()) as { message: string }).message).toMatch(/only alice, carol may answer this request, not bob/);
    const carols = direct.find((m) => m.recipient.id === 'carol')!.incident.links.approve.replace('http://localhost:8080', '');
    const ok = await fetch(`${klaxon.url}${carols}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    expect(await ok.text()).toMatch(/approved by carol/);
    const t = await eventually(async () => {
      const x = await timeline(id);
      return x.some((e) => e.kind === 'runbook.ended') ? x : undefined;
    }, 20_000, 'the approved run');
    expect(t.find((e) => e.kind === 'runbook.approved')!.actor).toBe('carol');
    expect(t.find((e) => e.kind === 'runbook.ended')!.details).toMatchObject({ outcome: 'succeeded', detail: 'drained' });
    expect(calls(id)).toHaveLength(1);
  }, 60_000);

  test("Slack's Approve button answers a runbook's approval as the Slack user; a forged click is refused", async () => {
    const { incidentId: id } = await fire('RunbookApproval', 'queue');
    await eventually(async () => (await timeline(id)).some((e) => e.kind === 'runbook.approval.asked'), 20_000, 'the approval request');
    const click = (secret: string) => slackClick(`runbook/${id}/test-approval/1`, { id: 'U123', username: 'dave' }, secret);
    expect((await click('wrong-secret')).status).toBe(401);
    const ok = await click('slack-signing-secret');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { text: string }).text).toMatch(/approved/);
    const t = await eventually(async () => {
      const x = await timeline(id);
      return x.some((e) => e.kind === 'runbook.ended') ? x : undefined;
    }, 20_000, 'the approved run');
    expect(t.find((e) => e.kind === 'runbook.approved')!.actor).toBe('slack:dave');
    expect(t.find((e) => e.kind === 'runbook.ended')!.details.outcome).toBe('succeeded');
  }, 60_000);

  test('silence-flapping (shipped): the fourth incident of a group within the hour silences it in the real Alertmanager; the first three start nothing', async () => {
    const labels = { alertname: 'FlappyDisk', service: 'storage', instance: 'db1:9100' };
    const group = { groupKey: '{}:{alertname="FlappyDisk"}', labels, fingerprint: 'fp-flappy' };
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { incidentId } = await postAlert(klaxon.url, tenant, group);
      ids.push(incidentId);
      await eventually(async () => (await timeline(incidentId)).some((e) => e.kind === 'notified'), 20_000, `page ${i + 1}`);
      if (i < 3) {
        await postAlert(klaxon.url, tenant, { ...group, status: 'resolved' });
        const row = await eventually(async () => {
          const inc = (await api(`/api/v1/incidents/${incidentId}`)).body.incident;
          return inc?.status === 'resolved' ? inc : undefined;
        }, 20_000, `resolve ${i + 1}`);
        // Its run has ended: the next firing opens a new incident with its own id (a firing in
        // the moment before the run ends also pages, but ingest answers with the ending one's id).
        await eventually(async () => (await klaxon.client.workflow.getHandle(row.workflowId, row.runId).describe()).status.name !== 'RUNNING', 20_000, `run ${i + 1} ended`);
      }
    }
    expect(new Set(ids).size).toBe(4);
    const t = await eventually(async () => {
      const x = await timeline(ids[3]);
      return x.some((e) => e.kind === 'runbook.ended') ? x : undefined;
    }, 30_000, 'the silence-flapping run');
    expect(t.find((e) => e.kind === 'runbook.ended')!.details).toMatchObject({ runbook: 'silence-flapping', outcome: 'succeeded' });
    for (const earlier of ids.slice(0, 3)) expect((await timeline(earlier)).some((e) => e.kind.startsWith('runbook.'))).toBe(false);
    const { stdout } = await run(AMTOOL_BIN, ['silence', 'query', `--alertmanager.url=${alertmanager.url}`, '-o', 'json']);
    const silences = (JSON.parse(stdout) as Array<{ createdBy: string; comment: string; matchers: Array<{ name: string; value: string }> }>).filter((x) => x.createdBy === `klaxon runbook runbook/${ids[3]}/silence-flapping/1`);
    expect(silences).toHaveLength(1);
    expect(silences[0].comment).toMatch(/^flapping: 4 incidents in an hour/);
    expect(silences[0].matchers.map((m) => `${m.name}=${m.value}`).sort()).toEqual(['alertname=FlappyDisk', 'instance=db1:9100']);
  }, 90_000);
});
