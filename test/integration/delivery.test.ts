import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestKlaxon, eventually, opsTenantYaml, postAlert, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import type { Klaxon } from '../../src/runtime';
import { projectRoot } from '../../src/paths';

const run = promisify(execFile);
const firing = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'alertmanager', 'firing-group.json'), 'utf8'));

/** Delivery through the real notify activity and Temporal's retry policy. */
describe('delivery semantics end to end', () => {
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let rejecting: Awaited<ReturnType<typeof startReceiver>>;
  const tenant = uniqueTenant('dlv');
  let first = true;

  beforeAll(async () => {
    // Answers the first request like a rate-limited vendor, then accepts.
    receiver = await startReceiver(() => {
      if (first) {
        first = false;
        return { status: 429, body: '{"error":"rate limited"}', headers: { 'retry-after': '3' } };
      }
      return { status: 200, body: 'ok' };
    });
    rejecting = await startReceiver(() => ({ status: 400, body: '{"message":"channel is archived"}' }));
    klaxon = await startTestKlaxon(
      `
tenants:
  ${tenant}:
    webhook: { token: "\${HOOK}" }
    api: { token: "\${API}" }
    receivers:
      limited: { type: webhook, url: "\${URL}" }
      archived: { type: webhook, url: "\${BAD_URL}" }
    escalationPolicies:
      p:
        steps:
          - notify: { receivers: [limited, archived] }
    defaultPolicy: p
`,
      { HOOK: 'h', API: 'a', URL: `${receiver.url}/hook?key=super-secret-key`, BAD_URL: `${rejecting.url}/hook?key=another-secret` },
    );
  });
  afterAll(async () => {
    await klaxon?.stop();
    await receiver?.close();
    await rejecting?.close();
  });

  test('429 with Retry-After: the retry waits at least that long; a 4xx is not retried and its text is audited without secrets', async () => {
    const res = await fetch(`${klaxon.url}/webhook/${tenant}`, {
      method: 'POST',
      headers: { authorization: 'Bearer h', 'content-type': 'application/json' },
      body: JSON.stringify({ ...firing, groupKey: `{}:{dlv="${Date.now()}"}` }),
    });
    const id = ((await res.json()) as { incidents: Array<{ incidentId: string }> }).incidents[0].incidentId;
    await eventually(async () => receiver.received.length >= 2, 20_000, 'the retried delivery');
    const [a, b] = receiver.received;
    expect(b.at - a.at).toBeGreaterThanOrEqual(3000);
    expect(a.headers['idempotency-key']).toBe(b.headers['idempotency-key']);

    const timeline = await eventually(async () => {
      const r = await fetch(`${klaxon.url}/api/v1/incidents/${id}`, { headers: { authorization: 'Bearer a' } });
      const body = (await r.json()) as { timeline?: Array<{ kind: string; details: Record<string, unknown> }> };
      const t = body.timeline ?? [];
      return t.some((e) => e.kind === 'notify.failed') && t.some((e) => e.kind === 'notified') ? t : undefined;
    }, 20_000, 'both outcomes in the audit trail');
    const failed = timeline.find((e) => e.kind === 'notify.failed')!;
    expect(failed.details.receiver).toBe('archived');
    expect(String(failed.details.error)).toMatch(/400.*channel is archived/);
    expect(JSON.stringify(timeline)).not.toMatch(/super-secret-key|another-secret/);
    // Not retried: the vendor said no.
    expect(rejecting.received).toHaveLength(1);
  });

  test('klaxon test-receiver sends a test message and prints the answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-tr-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(file, `
tenants:
  t:
    webhook: { token: "\${X}" }
    api: { token: "\${X}" }
    receivers:
      ops: { type: webhook, url: "\${URL}" }
      dead: { type: webhook, url: "\${BAD}" }
    escalationPolicies: { p: { steps: [{ notify: { receivers: [ops] } }] } }
    defaultPolicy: p
`);
    const env = { ...process.env, KLAXON_CONFIG: file, X: 'x', URL: `${receiver.url}/test`, BAD: `${rejecting.url}/t?token=zzz-secret`, NODE_OPTIONS: '' };
    const before = receiver.received.length;
    const ok = await run(process.execPath, [join(projectRoot, 'bin', 'klaxon.js'), 'test-receiver', 't', 'ops'], { env });
    expect(ok.stdout).toMatch(/ops \(webhook\): delivered; answer: 200/);
    const msg = JSON.parse(receiver.received[before].body);
    expect(msg.kind).toBe('test');
    expect(msg.incident.title).toBe('KlaxonTestMessage');
    const bad = await run(process.execPath, [join(projectRoot, 'bin', 'klaxon.js'), 'test-receiver', 't', 'dead'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toMatch(/HTTP 400.*channel is archived/);
    expect((bad as { stderr: string }).stderr).not.toContain('zzz-secret');
  });
});

/** Issue #8: the tries in between are in the incident's timeline, not only the final outcome. */
describe('failed tries in the incident timeline', () => {
  let klaxon: Klaxon;
  let flaky: Awaited<ReturnType<typeof startReceiver>>;
  const tenant = uniqueTenant('tries');
  // A vendor that is down, then rate-limits, then takes the page.
  const answers = [
    { status: 503, body: 'upstream unavailable' },
    { status: 429, body: 'rate limited', headers: { 'retry-after': '1' } },
  ];

  beforeAll(async () => {
    flaky = await startReceiver(() => answers.shift() ?? { status: 200, body: 'ok' });
    klaxon = await startTestKlaxon(opsTenantYaml(tenant, '[{ notify: { receivers: [ops] } }, { wait: 1h }]'), { HOOK: 'hook', API: 'api', URL: `${flaky.url}/hook?key=flaky-secret` });
  });
  afterAll(async () => {
    await klaxon?.stop();
    await flaky?.close();
  });

  test('a page that failed twice shows both tries, with the status and reason, before its one "notified"', async () => {
    const { incidentId: id } = await postAlert(klaxon.url, tenant, { groupKey: '{}:{alertname="Flaky"}', labels: { alertname: 'Flaky', service: 'api' }, fingerprint: 'flaky' });
    await eventually(async () => flaky.received.length >= 3, 20_000, 'the third try');
    type Entry = { seq?: number; at: string; kind: string; actor: string; details: Record<string, unknown> };
    const timeline = await eventually(async () => {
      const r = await fetch(`${klaxon.url}/api/v1/incidents/${id}`, { headers: { authorization: 'Bearer api' } });
      const t = r.status === 200 ? ((await r.json()) as { timeline: Entry[] }).timeline : [];
      return t.some((e) => e.kind === 'notified') && t.filter((e) => e.kind === 'notify.attempt').length >= 2 ? t : undefined;
    }, 20_000, 'the tries and the outcome in the timeline');

    const tries = timeline.filter((e) => e.kind === 'notify.attempt');
    expect(tries).toHaveLength(2);
    expect(tries[0]).toMatchObject({ actor: 'klaxon', details: { receiver: 'ops', kind: 'firing', attempt: 1, status: 503, retryInMs: 1000, final: false } });
    expect(tries[0].details.reason).toMatch(/503: upstream unavailable/);
    expect(tries[1]).toMatchObject({ actor: 'klaxon', details: { receiver: 'ops', kind: 'firing', attempt: 2, status: 429, retryInMs: 1000, final: false } });
    expect(tries[1].details.reason).toMatch(/429: rate limited/);
    for (const t of tries) expect(t).not.toHaveProperty('seq');
    // In time order, before the outcome; the outcome is there once; the secret in the URL nowhere.
    const notified = timeline.filter((e) => e.kind === 'notified');
    expect(notified).toHaveLength(1);
    const [first, second, outcome] = [timeline.indexOf(tries[0]), timeline.indexOf(tries[1]), timeline.indexOf(notified[0])];
    expect(first).toBeLessThan(second);
    expect(second).toBeLessThan(outcome);
    expect(Date.parse(tries[0].at)).toBeLessThanOrEqual(Date.parse(tries[1].at));
    expect(Date.parse(tries[1].at)).toBeLessThanOrEqual(Date.parse(notified[0].at));
    expect(timeline.filter((e) => e.kind !== 'notify.attempt').map((e) => e.seq)).toEqual(timeline.filter((e) => e.kind !== 'notify.attempt').map((_, i) => i + 1));
    expect(JSON.stringify(timeline)).not.toContain('flaky-secret');
  });
});
