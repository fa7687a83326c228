import { alertPayload, eventually, opsTenantYaml, startTestKlaxon, testConfig, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import type { Klaxon } from '../../src/runtime';
import { incidentWorkflowId } from '../../src/incident/ids';
import { stateQuery } from '../../workflows/definitions';

/**
 * The intake edge (issue #10, hardened edge): the webhook's token is checked before its body is
 * read, an unknown tenant answers exactly as a bad token, each tenant's intake has a token bucket
 * (429 + Retry-After, which Alertmanager retries), and /metrics can be put behind a bearer.
 */
describe('hardened edge', () => {
  let klaxon: Klaxon;
  let ops: Awaited<ReturnType<typeof startReceiver>>;
  const open = uniqueTenant('edge');
  const limited = uniqueTenant('lim');
  // One token every 2 s after a burst of 3: a test can drain it and wait for it to refill.
  const yaml = (server = '') => {
    const a = opsTenantYaml(open);
    const b = opsTenantYaml(limited).replace(/^tenants:\n/, '').replace('webhook: { token: "${HOOK}" }', 'webhook: { token: "${HOOK}", rateLimit: { perSecond: 0.5, burst: 3 } }');
    return `${server}${a}${b}    heartbeats:\n      nightly: { interval: 1d }\n`;
  };
  const secrets = () => ({ HOOK: 'hook', API: 'api', URL: ops.url, METRICS: 'scrape-me' });

  beforeAll(async () => {
    ops = await startReceiver();
    klaxon = await startTestKlaxon(yaml(), secrets());
  });
  afterAll(async () => {
    await klaxon?.stop();
    await ops?.close();
  });

  const post = (path: string, body: string | ReadableStream<Uint8Array> | undefined, token: string | undefined, init: RequestInit = {}) =>
    fetch(`${klaxon.url}${path}`, { method: 'POST', headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) }, body, ...init });
  const alert = (tenant: string, run: string) => JSON.stringify(alertPayload({ groupKey: `{}:{run="${run}"}`, labels: { alertname: 'EdgeTest', run }, fingerprint: run }));

  test('an unauthenticated body is never read: a huge, a malformed and an unfinished body all get 401, not 413 or 400', async () => {
    // 5 MiB is five times the default body limit: were the body read first, this would be a 413.
    const huge = await post(`/webhook/${open}`, JSON.stringify({ x: 'y'.repeat(5 * 1024 * 1024) }), 'wrong');
    expect(huge.status).toBe(401);
    expect(huge.headers.get('www-authenticate')).toBe('Bearer');
    const malformed = await post(`/webhook/${open}`, '{"version": "4", "alerts": [', undefined);
    expect(malformed.status).toBe(401);
    const wrongType = await post(`/webhook/${open}`, 'not json at all', 'wrong', { headers: { 'content-type': 'text/x-nonsense', authorization: 'Bearer wrong' } });
    expect(wrongType.status).toBe(401);

    // A body that never ends: the answer comes while the client is still sending.
    let sendMore!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"version":"4","alerts":['));
        sendMore = () => c.close();
      },
    });
    const pending = await post(`/webhook/${open}`, body, 'wrong', { duplex: 'half' } as RequestInit);
    expect(pending.status).toBe(401);
    sendMore();
    // The same for the heartbeat route (its body limit is 4 KiB).
    expect((await post(`/heartbeat/${open}/nightly`, 'z'.repeat(100_000), 'wrong')).status).toBe(401);

    // With the right token the same huge body is a 413 (the token is checked first, then the body).
    expect((await post(`/webhook/${open}`, JSON.stringify({ x: 'y'.repeat(2 * 1024 * 1024) }), 'hook')).status).toBe(413);
    expect((await post(`/webhook/${open}`, alert(open, `after-${Date.now()}`), 'hook')).status).toBe(202);
  });

  test('an unknown tenant answers exactly as a bad token: same status, headers and body, similar time', async () => {
    const bad = await post(`/webhook/${open}`, alert(open, 'x'), 'wrong');
    const unknown = await post('/webhook/no-such-tenant', alert(open, 'x'), 'wrong');
    const tooLong = await post(`/webhook/${'t'.repeat(200)}`, alert(open, 'x'), 'wrong');
    for (const r of [unknown, tooLong]) {
      expect(r.status).toBe(bad.status);
      expect(r.headers.get('www-authenticate')).toBe(bad.headers.get('www-authenticate'));
    }
    const badBody = await bad.text();
    expect(badBody).toContain('unauthorized');
    expect(await unknown.text()).toBe(badBody);
    expect(await tooLong.text()).toBe(badBody);
    // A known tenant's real token sent to an unknown tenant's path is no key either.
    expect((await post('/webhook/no-such-tenant', alert(open, 'x'), 'hook')).status).toBe(401);

    // Interleaved, so both see the same load; the medians differ by noise only (the unknown tenant
    // is compared against a dummy secret, the same hashing as a real one).
    const times = { bad: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 150; i++) {
      for (const [kind, path] of [['bad', `/webhook/${open}`], ['unknown', `/webhook/nobody-${i % 7}`]] as const) {
        const t0 = process.hrtime.bigint();
        const r = await post(path, '{}', 'wrong');
        await r.arrayBuffer();
        times[kind].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const [mb, mu] = [median(times.bad), median(times.unknown)];
    expect(Math.abs(mb - mu)).toBeLessThan(Math.max(1, 0.5 * Math.min(mb, mu)));
  });

  test("a burst beyond a tenant's limit gets 429 with Retry-After; what was accepted pages as usual; other tenants and bad tokens spend nothing", async () => {
    // Refused requests spend no token: an attacker without the token cannot starve the tenant.
    for (let i = 0; i < 10; i++) expect((await post(`/webhook/${limited}`, alert(limited, 'no'), 'wrong')).status).toBe(401);

    const run = `burst-${Date.now()}`;
    const answers = await Promise.all(Array.from({ length: 7 }, (_, i) => post(`/webhook/${limited}`, alert(limited, `${run}-${i}`), 'hook')));
    const accepted = answers.filter((r) => r.status === 202);
    const refused = answers.filter((r) => r.status === 429);
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(4);
    for (const r of refused) {
      const retryAfter = Number(r.headers.get('retry-after'));
      // One token every 2 s: whole seconds, at least 1, at most 2.
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(2);
      expect(((await r.json()) as { message: string }).message).toMatch(/webhook\.rateLimit: 0\.5\/s, burst 3/);
    }

    // Another tenant, meanwhile, is not limited by this one's bucket.
    expect((await post(`/webhook/${open}`, alert(open, `${run}-other`), 'hook')).status).toBe(202);

    // The accepted ones are incidents like any other: firing, paged.
    const ids = await Promise.all(accepted.map(async (r) => ((await r.json()) as { incidents: Array<{ incidentId: string; workflowId: string }> }).incidents[0]));
    for (const { incidentId, workflowId } of ids) {
      const state = await klaxon.client.workflow.getHandle(workflowId).query(stateQuery);
      expect(state.status).toBe('firing');
      await eventually(async () => ops.messages().some((m) => m.incident.id === incidentId), 20_000, `the page of ${incidentId}`);
    }

    // The heartbeat route has its own bucket of the same size.
    const beats = await Promise.all(Array.from({ length: 4 }, () => post(`/heartbeat/${limited}/nightly`, undefined, 'hook')));
    expect(beats.map((r) => r.status).sort()).toEqual([202, 202, 202, 429]);
    const wait = Number(beats.find((r) => r.status === 429)!.headers.get('retry-after'));

    // After Retry-After, Alertmanager's retry goes through.
    const retried = alertPayload({ groupKey: `{}:{run="${run}-0"}`, labels: { alertname: 'EdgeTest', run: `${run}-retry` }, fingerprint: 'retry' });
    await new Promise((r) => setTimeout(r, wait * 1000));
    const again = await post(`/webhook/${limited}`, JSON.stringify(retried), 'hook');
    expect(again.status).toBe(202);
    expect(await klaxon.client.workflow.getHandle(incidentWorkflowId(limited, `{}:{run="${run}-0"}`)).query(stateQuery)).toMatchObject({ status: 'firing' });
  }, 60_000);

  test('a NUL character (which Postgres cannot store) is refused at the edge with its path, not a 500 from the store', async () => {
    const body = JSON.parse(alert(open, `nul-${Date.now()}`));
    body.alerts[0].labels.note = 'a\u0000b';
    const res = await post(`/webhook/${open}`, JSON.stringify(body), 'hook');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issues: Array<{ path: string }> }).issues).toEqual([expect.objectContaining({ path: 'alerts.0.labels.note' })]);
    // Found by the fuzzer (fuzz-edge.test.ts): an id with NUL reached the audit store's query.
    const api = await fetch(`${klaxon.url}/api/v1/incidents/%00/state`, { headers: { authorization: 'Bearer api' } });
    expect(api.status).toBe(400);
    expect(((await api.json()) as { issues: Array<{ path: string }> }).issues[0].path).toBe('params.id');
  });

  test('/metrics is open without server.metricsToken, and needs that bearer with it', async () => {
    expect((await fetch(`${klaxon.url}/metrics`)).status).toBe(200);
    klaxon.config.replace(testConfig(yaml('server:\n  metricsToken: "${METRICS}"\n'), secrets()));
    try {
      const none = await fetch(`${klaxon.url}/metrics`);
      expect(none.status).toBe(401);
      const body = await none.text();
      expect(body).not.toContain('klaxon_');
      expect(body).not.toContain('scrape-me');
      expect((await fetch(`${klaxon.url}/metrics`, { headers: { authorization: 'Bearer hook' } })).status).toBe(401);
      const ok = await fetch(`${klaxon.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } });
      expect(ok.status).toBe(200);
      const text = await ok.text();
      // Refusals are counted, without a tenant label an unauthenticated caller could grow.
      expect(text).toMatch(/klaxon_intake_rejected_total\{route="webhook",reason="unauthorized"\} [1-9]/);
      expect(text).toMatch(/klaxon_intake_rejected_total\{route="webhook",reason="rate-limited"\} [1-9]/);
    } finally {
      klaxon.config.replace(testConfig(yaml(), secrets()));
    }
    expect((await fetch(`${klaxon.url}/metrics`)).status).toBe(200);
  });
});
