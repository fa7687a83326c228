import { statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireTemporalBinary } from '../../src/temporal/binaries';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { eventually, startTestKlaxon, tenantYaml, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import type { Klaxon } from '../../src/runtime';
import { incidentWorkflowId } from '../../src/incident/ids';
import { alertsSignal, INCIDENT_WORKFLOW, stateQuery } from '../../workflows/definitions';
import { KlaxonStatus, KlaxonTenant } from '../../src/temporal/searchAttributes';

/** Values only this incident carries: none may appear in Temporal's stored history as plaintext. */
const CANARY = {
  label: 'canary-host-5e1.internal',
  otherLabel: 'canary-team-blue',
  summary: 'canary summary: disk 97% full on volume 77',
  runbookUrl: 'https://wiki.example/canary-77',
  email: 'alice-canary@example.com',
  receiverPath: '/hooks/canary-path-9d1',
};

/** What a vendor answers when it refuses a page: its own words, naming the person (PII). */
const REFUSAL = 'no such recipient: bob-refused-canary@example.com (+15550104477)';

type WirePayload = { metadata?: Record<string, string>; data?: string };

/** Every Payload message in a history, in the codec server's JSON form (base64 bytes). */
function payloadsIn(history: temporal.api.history.v1.IHistory): WirePayload[] {
  const found: WirePayload[] = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(walk);
    const o = v as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'data' in o) {
      found.push(o as WirePayload);
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(history), { bytes: String, longs: String }));
  return found;
}

describe('encrypted incident data', () => {
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let refusing: Awaited<ReturnType<typeof startReceiver>>;
  let raw: Client;
  const tenant = uniqueTenant('enc');
  const groupKey = `{}:{case="encrypted-${Date.now()}"}`;
  const workflowId = incidentWorkflowId(tenant, groupKey);
  const taskQueue = `enc-${tenant}`;
  let incidentId: string;
  const codec = (op: 'encode' | 'decode', payloads: WirePayload[], headers: Record<string, string> = { authorization: 'Bearer api' }) =>
    fetch(`${klaxon.url}/codec/${op}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: JSON.stringify({ payloads }),
    });

  const alert = (status: 'firing' | 'resolved') => {
    const labels = { alertname: 'EncryptedCanary', service: 'api', severity: 'critical', instance: CANARY.label, team: CANARY.otherLabel };
    const a = { status, labels, annotations: { summary: CANARY.summary, runbook_url: CANARY.runbookUrl }, startsAt: new Date().toISOString(), fingerprint: 'enc-1' };
    return { version: '4', groupKey, status, receiver: 'klaxon', commonLabels: labels, commonAnnotations: a.annotations, alerts: [a] };
  };
  const post = async (status: 'firing' | 'resolved') => {
    const res = await fetch(`${klaxon.url}/webhook/${tenant}`, { method: 'POST', headers: { authorization: 'Bearer hook', 'content-type': 'application/json' }, body: JSON.stringify(alert(status)) });
    expect(res.status).toBe(202);
    return ((await res.json()) as { incidents: Array<{ incidentId: string }> }).incidents[0].incidentId;
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    refusing = await startReceiver(() => ({ status: 400, body: JSON.stringify({ error: REFUSAL }) }));
    const yaml = tenantYaml(
      tenant,
      `    users:
      alice: { name: Alice, email: ${CANARY.email}, slack: UCANARY42 }
    receivers:
      ops: { type: webhook, url: "\${URL}" }
      strict: { type: webhook, url: "\${REFUSING}" }
    userChannels: { email: ops }
    escalationPolicies:
      p: { steps: [{ notify: { receivers: [ops] } }, { notify: { users: [alice] } }] }
      refused: { steps: [{ notify: { receivers: [strict] } }, { notify: { receivers: [ops] } }] }
    routes:
      - { matchers: ['case="refused"'], policy: refused }
    defaultPolicy: p
`,
    );
    // No keys configured: this Klaxon creates its keyring in its data dir, as `npm start` does.
    klaxon = await startTestKlaxon(yaml, { HOOK: 'hook', API: 'api', URL: `${receiver.url}${CANARY.receiverPath}`, REFUSING: refusing.url }, { KLAXON_ENCRYPTION_KEYS: '', KLAXON_TASK_QUEUE: taskQueue });
    // The Temporal server's view: the same connection, no codec.
    raw = new Client({ connection: klaxon.client.connection });
    incidentId = await post('firing');
    await eventually(async () => receiver.messages().length >= 2, 20_000, 'both pages');
    await post('resolved');
    await klaxon.client.workflow.getHandle(workflowId).result();
  });
  afterAll(async () => {
    await klaxon?.stop();
    await receiver?.close();
    await refusing?.close();
  });

  test('with no key configured, a start creates a keyring in the data dir, readable only by its owner', () => {
    const source = klaxon.encryption.source;
    expect(source).toMatchObject({ kind: 'file', created: true });
    expect(statSync((source as { file: string }).file).mode & 0o777).toBe(0o600);
  });

  const histories = async () => {
    const notices = `${workflowId}/notices/${incidentId}`;
    // Through Klaxon's client: the raw one cannot read the (encrypted) result.
    await klaxon.client.workflow.getHandle(notices).result();
    return {
      incident: await raw.workflow.getHandle(workflowId).fetchHistory(),
      notices: await raw.workflow.getHandle(notices).fetchHistory(),
    };
  };

  test("the incident's label values, annotations and recipients appear nowhere in Temporal's stored history", async () => {
    for (const [name, history] of Object.entries(await histories())) {
      const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
      const json = JSON.stringify(temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(history), { bytes: String }));
      for (const value of [...Object.values(CANARY), 'UCANARY42']) {
        expect({ name, value, inBytes: bytes.includes(value) }).toEqual({ name, value, inBytes: false });
        expect({ name, value, inJson: json.includes(value) }).toEqual({ name, value, inJson: false });
      }
      // What stays plaintext is what Temporal itself must read: search attributes (short keyword
      // ids only), patch markers and the local-activity markers' bookkeeping. Everything else is encrypted.
      const plaintext = payloadsIn(history)
        .filter((p) => p.metadata?.encoding && Buffer.from(p.metadata.encoding, 'base64').toString() !== 'binary/encrypted')
        .map((p) => JSON.parse(Buffer.from(p.data ?? '', 'base64').toString()) as unknown);
      const searchAttributeValues = [tenant, 'critical', 'firing', 'resolved', 'EncryptedCanary', 'api'];
      for (const v of plaintext) {
        const allowed =
          (typeof v === 'string' && searchAttributeValues.includes(v)) ||
          (Array.isArray(v) && v.every((id) => typeof id === 'string' && id.startsWith('klaxon-'))) ||
          (typeof v === 'object' && v !== null && ('deprecated' in v || ('activity_type' in v && !('result' in v))));
        expect({ name, plaintext: v, allowed }).toEqual({ name, plaintext: v, allowed: true });
      }
      expect(payloadsIn(history).some((p) => Buffer.from(p.metadata?.encoding ?? '', 'base64').toString() === 'binary/encrypted')).toBe(true);
    }
  });

  test("a vendor's refusal (its text names the person) is in Temporal's history only encrypted; the workflow and the codec server read it back", async () => {
    const key = `{}:{case="refused"}`;
    const labels = { alertname: 'RefusedCanary', case: 'refused', severity: 'critical' };
    const before = receiver.messages().length;
    const res = await fetch(`${klaxon.url}/webhook/${tenant}`, {
      method: 'POST',
      headers: { authorization: 'Bearer hook', 'content-type': 'application/json' },
      body: JSON.stringify({ version: '4', groupKey: key, status: 'firing', receiver: 'klaxon', commonLabels: labels, alerts: [{ status: 'firing', labels, annotations: {}, startsAt: new Date().toISOString(), fingerprint: 'ref-1' }] }),
    });
    expect(res.status).toBe(202);
    const refusedIncident = ((await res.json()) as { incidents: Array<{ incidentId: string }> }).incidents[0].incidentId;
    const id = incidentWorkflowId(tenant, key);
    // A refused page is not a lost page: the policy goes on to its next step.
    await eventually(async () => receiver.messages().length > before, 20_000, 'the step after the refusal');
    const history = await raw.workflow.getHandle(id).fetchHistory();
    const failed = history.events!.filter((e) => e.activityTaskFailedEventAttributes);
    expect(failed.length).toBeGreaterThan(0);
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    for (const value of ['bob-refused-canary@example.com', '+15550104477', 'no such recipient']) expect({ value, inHistory: bytes.includes(value) }).toEqual({ value, inHistory: false });
    for (const e of failed) {
      const failure = e.activityTaskFailedEventAttributes!.failure!;
      const all = [failure, failure.cause].filter(Boolean);
      for (const f of all) expect(f!.message).toBe('Encoded failure');
      expect(all.some((f) => Buffer.from(f!.encodedAttributes?.metadata?.encoding ?? []).toString() === 'binary/encrypted')).toBe(true);
    }
    // Whoever may decode (the Web UI through the codec server, Klaxon's own workers) reads the vendor's words.
    const encoded = failed.flatMap((e) => [e.activityTaskFailedEventAttributes!.failure!, e.activityTaskFailedEventAttributes!.failure!.cause]).filter((f) => f?.encodedAttributes);
    const wire = encoded.map((f) => ({ metadata: Object.fromEntries(Object.entries(f!.encodedAttributes!.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(f!.encodedAttributes!.data ?? []).toString('base64') }));
    const decoded = ((await (await codec('decode', wire)).json()) as { payloads: WirePayload[] }).payloads.map((p) => JSON.parse(Buffer.from(p.data ?? '', 'base64').toString()) as { message: string });
    expect(decoded.map((d) => d.message).join('\n')).toContain(REFUSAL);
    // The workflow read the refusal back from its encrypted history: its notify.failed row quotes the vendor.
    await eventually(async () => {
      const r = await fetch(`${klaxon.url}/api/v1/incidents/${refusedIncident}`, { headers: { authorization: 'Bearer api' } });
      return r.status === 200 && /notify\.failed[^\n]*no such recipient/.test(JSON.stringify(await r.json()).replace(/\},\{/g, '},\n{'));
    }, 20_000, 'a notify.failed row with the vendor\'s words');
    await klaxon.client.workflow.getHandle(id).signal(alertsSignal, { alerts: [{ fingerprint: 'ref-1', status: 'resolved', labels, annotations: {}, startsAt: new Date().toISOString() }], receivedAt: new Date().toISOString() });
    await klaxon.client.workflow.getHandle(id).result();
  });

  test("the Web UI's summary and details (user metadata) are stored encrypted, and the codec server decodes them", async () => {
    const { incident } = await histories();
    const start = incident.events![0];
    const meta = [start.userMetadata?.summary, start.userMetadata?.details];
    // Activities' and timers' summaries too ("page ops, step 1", "wait 5m before step 3").
    for (const e of incident.events!) if (e.userMetadata?.summary && e.eventId !== start.eventId) meta.push(e.userMetadata.summary);
    expect(meta.length).toBeGreaterThan(3);
    const wire = meta.map((p) => ({ metadata: Object.fromEntries(Object.entries(p!.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(p!.data ?? []).toString('base64') }));
    for (const p of wire) expect(Buffer.from(p.metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    const decoded = ((await (await codec('decode', wire)).json()) as { payloads: WirePayload[] }).payloads.map((p) => JSON.parse(Buffer.from(p.data ?? '', 'base64').toString()) as string);
    expect(decoded[0]).toBe('EncryptedCanary (api)');
    for (const value of [CANARY.label, CANARY.otherLabel, CANARY.summary, CANARY.runbookUrl]) expect(decoded[1]).toContain(value);
    // The first page also names the audit rows it writes ("page ops, step 1; audit opened, …").
    expect(decoded).toContainEqual(expect.stringMatching(/^page ops, step 1\b/));
  });

  test("the workflow's current details reach Temporal's clients only encrypted", async () => {
    // A run that stays open: the metadata query answers while the workflow runs.
    const key = `{}:{case="current-details-${Date.now()}"}`;
    const labels = { alertname: 'CurrentDetailsCanary', severity: 'critical', instance: CANARY.label };
    const res = await fetch(`${klaxon.url}/webhook/${tenant}`, {
      method: 'POST',
      headers: { authorization: 'Bearer hook', 'content-type': 'application/json' },
      body: JSON.stringify({ version: '4', groupKey: key, status: 'firing', receiver: 'klaxon', commonLabels: labels, alerts: [{ status: 'firing', labels, annotations: {}, startsAt: new Date().toISOString(), fingerprint: 'cd-1' }] }),
    });
    const id = incidentWorkflowId(tenant, key);
    expect(res.status).toBe(202);
    const current = async () => (await klaxon.client.workflow.getHandle(id).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
    const details = await eventually(async () => ((await current()).includes('Paged:** ops') ? current() : undefined), 20_000, 'current details naming the page');
    expect(details).toContain('**Status:** firing');
    // The same query through a client without the codec cannot read the answer.
    await expect(raw.workflow.getHandle(id).query('__temporal_workflow_metadata')).rejects.toThrow(/encrypted|encoding/i);
    await klaxon.client.workflow.getHandle(id).signal(alertsSignal, { alerts: [{ fingerprint: 'cd-1', status: 'resolved', labels, annotations: {}, startsAt: new Date().toISOString() }], receivedAt: new Date().toISOString() });
    await klaxon.client.workflow.getHandle(id).result();
  });

  test('the codec server decodes the stored history back to the incident, for a holder of the API token', async () => {
    const { incident, notices } = await histories();
    const payloads = [...payloadsIn(incident), ...payloadsIn(notices)];
    const res = await codec('decode', payloads);
    expect(res.status).toBe(200);
    const decoded = ((await res.json()) as { payloads: WirePayload[] }).payloads;
    expect(decoded).toHaveLength(payloads.length);
    const text = decoded.map((p) => Buffer.from(p.data ?? '', 'base64').toString()).join('\n');
    for (const value of [CANARY.label, CANARY.otherLabel, CANARY.summary, CANARY.runbookUrl, CANARY.email]) expect(text).toContain(value);
    expect(decoded.every((p) => Buffer.from(p.metadata?.encoding ?? '', 'base64').toString() !== 'binary/encrypted')).toBe(true);
  });

  test("Temporal's own CLI reads the history in plaintext through the codec server (the protocol the Web UI speaks)", async () => {
    const show = (args: string[]) =>
      promisify(execFile)(requireTemporalBinary('temporal'), ['workflow', 'show', '--address', klaxon.temporalAddress, '-w', workflowId, '--output', 'json', ...args], { maxBuffer: 32 << 20 });
    const withCodec = await show(['--codec-endpoint', `${klaxon.url}/codec`, '--codec-auth', 'Bearer api']);
    // JSON output keeps payload bytes in base64: read them the way the Web UI renders them.
    const plain = (stdout: string) => {
      const history = JSON.parse(stdout) as { events: unknown[] };
      const datas: string[] = [];
      JSON.stringify(history, (k, v) => (k === 'data' && typeof v === 'string' && datas.push(Buffer.from(v, 'base64').toString()), v));
      return datas.join('\n');
    };
    for (const value of [CANARY.label, CANARY.summary, CANARY.email]) expect(plain(withCodec.stdout)).toContain(value);
    const without = await show([]);
    expect(plain(without.stdout)).not.toContain(CANARY.label);
  });

  test('encode and decode round-trip through the codec server (the Web UI encodes a signal it sends)', async () => {
    const payload = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify({ note: CANARY.summary })).toString('base64') };
    const enc = ((await (await codec('encode', [payload])).json()) as { payloads: WirePayload[] }).payloads;
    expect(Buffer.from(enc[0].metadata!.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(enc[0].metadata!['encryption-key-id'], 'base64').toString()).toBe(klaxon.encryption.codec.activeKeyId);
    const dec = ((await (await codec('decode', enc)).json()) as { payloads: WirePayload[] }).payloads;
    expect(dec).toEqual([payload]);
  });

  test('the codec server refuses callers without a valid bearer, bad bodies and another namespace', async () => {
    const { incident } = await histories();
    const some = payloadsIn(incident).slice(0, 3);
    expect((await codec('decode', some, {})).status).toBe(401);
    expect((await codec('decode', some, { authorization: 'Bearer wrong' })).status).toBe(401);
    const bad = await codec('decode', [{ data: 'not base64!' }]);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/payloads\.0\.data.*must be base64/);
    const ns = await codec('decode', some, { authorization: 'Bearer api', 'x-namespace': 'other' });
    expect(ns.status).toBe(400);
  });

  test("CORS: the Web UI's origin may call the codec server, another origin may not", async () => {
    const preflight = (origin: string) =>
      fetch(`${klaxon.url}/codec/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' } });
    const ok = await preflight('http://localhost:8233');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/x-namespace/);
    const evil = await preflight('http://evil.example');
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const post = await codec('decode', [], { authorization: 'Bearer api', origin: 'http://127.0.0.1:8233' });
    expect(post.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
  });

  test('an incident started before encryption was on (plaintext input) runs on, and what it writes from then on is encrypted', async () => {
    const key = `{}:{case="pre-encryption-${Date.now()}"}`;
    const labels = { alertname: 'PreEncryption', service: 'api', instance: 'pre-encryption-host' };
    const a = { fingerprint: 'pre-1', status: 'firing' as const, labels, annotations: {}, startsAt: new Date().toISOString() };
    const before = receiver.messages().length;
    // Written as an older Klaxon did: through a client without the codec.
    const handle = await raw.workflow.start(INCIDENT_WORKFLOW, {
      taskQueue,
      workflowId: incidentWorkflowId(tenant, key),
      args: [{ tenant, groupKey: key, alerts: [a], commonLabels: labels, receivedAt: new Date().toISOString() }],
      typedSearchAttributes: [
        { key: KlaxonTenant, value: tenant },
        { key: KlaxonStatus, value: 'firing' },
      ],
    });
    await eventually(async () => receiver.messages().length > before, 20_000, 'the page');
    const state = await klaxon.client.workflow.getHandle(handle.workflowId).query(stateQuery);
    expect(state).toMatchObject({ status: 'firing' });
    const history = await raw.workflow.getHandle(handle.workflowId).fetchHistory();
    const start = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    expect(Buffer.from(start.data!).toString()).toContain('pre-encryption-host');
    const later = history.events!.slice(1).find((e) => e.activityTaskScheduledEventAttributes?.input?.payloads?.length);
    expect(Buffer.from(later!.activityTaskScheduledEventAttributes!.input!.payloads![0].metadata!.encoding!).toString()).toBe('binary/encrypted');
    // A signal through today's client (encrypted) resolves it: the old run reads both kinds.
    await klaxon.client.workflow.getHandle(handle.workflowId).signal(alertsSignal, { alerts: [{ ...a, status: 'resolved' }], receivedAt: new Date().toISOString() });
    await klaxon.client.workflow.getHandle(handle.workflowId).result();
  });
});
