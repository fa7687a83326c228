import { createServer, type Server } from 'node:http';
import { startEscalationHarness } from '../support/escalation';
import { startReceiver } from '../support/receiver';
import { startPrometheus } from '../support/prometheus';
import { eventually, uniqueTenant } from '../support/klaxon';
import { stateQuery } from '../../workflows/definitions';
import { runbookDecisionUpdate, runbookStateQuery, type RunbookOutcome } from '../../workflows/runbookDefinitions';
import { RunbookStore } from '../../src/store/runbooks';

const MIN = 60_000;

/**
 * The shipped restart-service and scale-up runbooks end to end (issue #9) on the time-skipping
 * server, so their 5-minute holds and 15-minute timeouts pass in seconds: the real incident and
 * runbook workflows and activities, a real Prometheus scraping the "services" (its `up` metric is
 * what restart-service waits for), HTTP doubles for the deploy and platform APIs, real Postgres.
 *
 * The doubles answer once Prometheus sees the change they made (a rollout that reports when it is
 * done): on the time-skipping server the runbook's 15-minute wait passes in real seconds, faster
 * than Prometheus's next scrape.
 */
describe('shipped runbooks (time-skipping, real Prometheus)', () => {
  const tenant = uniqueTenant('rbs');
  let h: Awaited<ReturnType<typeof startEscalationHarness>>;
  let l1: Awaited<ReturnType<typeof startReceiver>>;
  let l2: Awaited<ReturnType<typeof startReceiver>>;
  let probe: Awaited<ReturnType<typeof startReceiver>>;
  let deploy: Awaited<ReturnType<typeof startReceiver>>;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
  let stopWorker: () => Promise<void>;
  let store: RunbookStore;
  /** The scrape targets standing in for services: `api` comes up when restarted, `web` never does. */
  const up: Record<string, boolean> = { api: false, web: false };
  let saturation = 0.97;
  const servers: Server[] = [];

  /** Answers Prometheus's scrape: 503 while "down" (so `up` is 0), the saturation gauge always. */
  const target = async (answer: () => { status: number; body: string }) => {
    const server = createServer((_req, res) => {
      const a = answer();
      res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${(server.address() as { port: number }).port}`;
  };
  const promValue = async (query: string): Promise<number | undefined> => {
    const body = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as { data: { result: Array<{ value: [number, string] }> } };
    return body.data.result.length ? Number(body.data.result[0].value[1]) : undefined;
  };

  beforeAll(async () => {
    const [apiTarget, webTarget, saturationTarget] = await Promise.all([
      target(() => (up.api ? { status: 200, body: 'svc_build_info 1\n' } : { status: 503, body: 'down' })),
      target(() => (up.web ? { status: 200, body: 'svc_build_info 1\n' } : { status: 503, body: 'down' })),
      target(() => ({ status: 200, body: `# TYPE saturation gauge\nsaturation{service="checkout"} ${saturation}\n` })),
    ]);
    prometheus = await startPrometheus({
      targets: [
        { address: apiTarget, labels: { service: 'api' } },
        { address: webTarget, labels: { service: 'web' } },
        saturationTarget,
      ],
    });
    // The deploy / platform API: restarts bring a service up, scaling drops saturation.
    deploy = await startReceiver(async (r) => {
      const body = JSON.parse(r.body) as { service: string; add?: number };
      if (r.path === '/v1/restart') {
        if (body.service === 'api') {
          up.api = true;
          await eventually(async () => (await promValue('min(up{service="api"})')) === 1, 20_000, 'Prometheus sees api up');
        }
        return { status: 202, body: '{"rollout":"done"}' };
      }
      if (r.path === '/v1/scale') {
        saturation = 0.35;
        await eventually(async () => (await promValue('max(saturation{service="checkout"})')) === 0.35, 20_000, 'Prometheus sees saturation drop');
        return { status: 200, body: '{"replicas":4}' };
      }
      return { status: 404, body: 'no such path' };
    });
    [l1, l2, probe] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    await eventually(async () => (await promValue('count(up{service=~"api|web"} == 0)')) === 2, 20_000, 'the first scrape');
    h = await startEscalationHarness(
      `
tenants:
  ${tenant}:
    webhook: { token: "\${T}" }
    api: { token: "\${A}" }
    receivers:
      l1: { type: webhook, url: "\${L1}" }
      l2: { type: webhook, url: "\${L2}" }
    escalationPolicies:
      p:
        steps:
          - notify: { receivers: [l1] }
          - wait: 1h
          - notify: { receivers: [l2] }
          - wait: 1h
    defaultPolicy: p
    runbooks:
      prometheusUrl: ${prometheus.url}
      http: { allowHosts: ["127.0.0.1"] }
      maxAutoRunsPerHour: 3
`,
      { T: 't', A: 'a', L1: l1.url, L2: l2.url },
    );
    store = new RunbookStore(h.db.pool);
    stopWorker = await h.startWorker();
  }, 90_000);

  afterAll(async () => {
    await stopWorker?.();
    await h?.stop();
    for (const s of servers) s.closeAllConnections(), s.close();
    await Promise.all([prometheus?.stop(), deploy?.close(), l1?.close(), l2?.close(), probe?.close()]);
  });

  /** An incident whose alert carries `annotations` (where runbook parameters come from). */
  const open = async (labels: Record<string, string>, annotations: Record<string, string> = {}) => {
    const handle = await h.startIncident(tenant, labels, {
      runbooks: true,
      alerts: [{ fingerprint: `fp-${labels.alertname}-${labels.service}`, status: 'firing', labels, annotations: { summary: 'test alert', ...annotations }, startsAt: new Date().toISOString() }],
    });
    const id = (await handle.query(stateQuery)).id;
    return { handle, id };
  };
  const runOf = async (id: string, runbook: string) => {
    const run = h.env.client.workflow.getHandle(`runbook/${id}/${runbook}/1`);
    await eventually(async () => (await run.query(runbookStateQuery).catch(() => undefined))?.status === 'awaiting approval', 30_000, `${runbook} asks for approval`);
    return run;
  };
  const approve = (run: { executeUpdate: Function }, actor: string) => run.executeUpdate(runbookDecisionUpdate, { args: [{ actor, approve: true }] });
  const steps = async (id: string) => (await store.eventsOf(id, tenant)).filter((e) => e.kind === 'runbook.step').map((e) => e.details);
  const pagesTo = (r: Awaited<ReturnType<typeof startReceiver>>, id: string) => r.messages().filter((m) => m.incident.id === id && m.kind === 'firing');
  const posts = (path: string, service: string) => deploy.received.filter((r) => r.path === path && JSON.parse(r.body).service === service);

  test('restart-service: approved, it restarts the service through the deploy API, waits until `up` held 5 minutes, and escalates nothing', async () => {
    const { handle, id } = await open({ alertname: 'ServiceDown', service: 'api', severity: 'critical' }, { deployUrl: `${deploy.url}/v1/restart` });
    const run = await runOf(id, 'restart-service');
    expect(posts('/v1/restart', 'api')).toHaveLength(0);
    await approve(run, 'alice');
    expect((await run.result()) as RunbookOutcome).toBe('succeeded');

    const calls = posts('/v1/restart', 'api');
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0].body)).toEqual({ service: 'api', reason: `klaxon incident ${id}` });
    expect(calls[0].headers['content-type']).toMatch(/application\/json/);
    const s = await eventually(async () => ((await steps(id)).length >= 2 ? steps(id) : undefined), 10_000, 'the steps');
    expect(s).toEqual([
      expect.objectContaining({ step: 'http', status: 202 }),
      expect.objectContaining({ step: 'waitFor', query: 'min(up{service="api"})', above: 0.5, met: true }),
    ]);
    const events = await store.eventsOf(id, tenant);
    expect(events.find((e) => e.kind === 'runbook.approved')!.actor).toBe('alice');
    expect(events.find((e) => e.kind === 'runbook.note')!.details.text).toBe('restart of api requested (HTTP 202)');
    expect(events.find((e) => e.kind === 'runbook.succeeded')!.details.detail).toBe('api is up again');
    const state = await handle.query(stateQuery);
    expect(state.timeline.some((e) => e.kind === 'escalated')).toBe(false);
    expect(pagesTo(l2, id)).toHaveLength(0);
  }, 120_000);

  test('restart-service: a restart that does not bring the service back escalates after 15 minutes: the next step pages now, not after the hour', async () => {
    const { handle, id } = await open({ alertname: 'TargetDown', service: 'web' }, { deployUrl: `${deploy.url}/v1/restart` });
    const run = await runOf(id, 'restart-service');
    await approve(run, 'bob');
    expect(await run.result()).toBe('succeeded');
    expect(posts('/v1/restart', 'web')).toHaveLength(1);
    const s = await eventually(async () => ((await steps(id)).length >= 2 ? steps(id) : undefined), 10_000, 'the steps');
    expect(s[1]).toMatchObject({ step: 'waitFor', met: false });
    const state = await eventually(async () => {
      const x = await handle.query(stateQuery);
      return x.timeline.some((e) => e.kind === 'escalated') ? x : undefined;
    }, 10_000, 'the escalation');
    const escalated = state.timeline.find((e) => e.kind === 'escalated')!;
    expect(escalated.actor).toBe('runbook:restart-service');
    expect(escalated.details.reason).toBe('web is still down 15 minutes after its restart');
    // The wait was 15 minutes of the hour's step: l2 is paged by the escalation.
    expect(Date.parse(escalated.at) - Date.parse(state.timeline[0].at)).toBeLessThan(30 * MIN);
    await eventually(async () => pagesTo(l2, id).length === 1, 10_000, 'the page to the next step');
    expect((await store.eventsOf(id, tenant)).find((e) => e.kind === 'runbook.succeeded')!.details.detail).toBe('web still down: escalated');
  }, 120_000);

  test('restart-service: nobody answers the approval in 15 minutes: the incident escalates and the deploy API is never called', async () => {
    const { handle, id } = await open({ alertname: 'ServiceDown', service: 'db' }, { deployUrl: `${deploy.url}/v1/restart` });
    const run = await runOf(id, 'restart-service');
    expect(await run.result()).toBe('denied');
    expect(posts('/v1/restart', 'db')).toHaveLength(0);
    const events = await store.eventsOf(id, tenant);
    expect(events.find((e) => e.kind === 'runbook.approval.timedOut')!.details).toMatchObject({ onTimeout: 'escalate' });
    expect(events.find((e) => e.kind === 'runbook.denied')!.details.detail).toBe('by nobody (approval timed out)');
    const state = await eventually(async () => {
      const x = await handle.query(stateQuery);
      return x.timeline.some((e) => e.kind === 'escalated') ? x : undefined;
    }, 10_000, 'the escalation');
    expect(state.timeline.find((e) => e.kind === 'escalated')!.details.reason).toBe('no approval for restart-service within 15m');
    await eventually(async () => pagesTo(l2, id).length === 1, 10_000, 'the page to the next step');
  }, 120_000);

  test('scale-up: approved, it asks the platform API for replicas and waits until saturation held below the threshold for 5 minutes', async () => {
    const { handle, id } = await open({ alertname: 'HighSaturation', service: 'checkout' }, { scaleUrl: `${deploy.url}/v1/scale`, replicas: '3' });
    const run = await runOf(id, 'scale-up');
    await approve(run, 'carol');
    expect(await run.result()).toBe('succeeded');
    const calls = posts('/v1/scale', 'checkout');
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0].body)).toEqual({ service: 'checkout', add: 3 });
    const s = await eventually(async () => ((await steps(id)).length >= 2 ? steps(id) : undefined), 10_000, 'the steps');
    expect(s[1]).toMatchObject({ step: 'waitFor', query: 'max(saturation{service="checkout"})', below: 0.8, met: true });
    expect((await store.eventsOf(id, tenant)).find((e) => e.kind === 'runbook.succeeded')!.details.detail).toBe('saturation of checkout below 0.8');
    expect((await handle.query(stateQuery)).timeline.some((e) => e.kind === 'escalated')).toBe(false);
  }, 120_000);

  test("automatic runs stop at the tenant's hourly limit: the fourth incident records why its runbook did not start", async () => {
    const ids: string[] = [];
    for (const service of ['s1', 's2', 's3', 's4']) {
      const { id } = await open({ alertname: 'RunbookProbe', service, probe: probe.url });
      ids.push(id);
      await eventually(async () => (await store.runsOf(id, tenant)).length > 0 || (await h.incidents.timeline(id)).some((e) => e.kind === 'runbook.skipped'), 30_000, `runbooks decided for ${service}`);
    }
    for (const id of ids.slice(0, 3)) expect((await store.runsOf(id, tenant)).map((r) => r.runbook)).toEqual(['test-probe']);
    expect(await store.runsOf(ids[3], tenant)).toEqual([]);
    const skipped = (await h.incidents.timeline(ids[3])).find((e) => e.kind === 'runbook.skipped')!;
    expect(skipped.details).toEqual({ runbook: 'test-probe', reason: 'rate limit: 3 automatic runs of test-probe in the last hour' });
  }, 120_000);
});
