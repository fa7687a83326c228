import { opsTenantYaml, postAlert, startTestKlaxon, uniqueTenant } from '../support/klaxon';
import type { Klaxon } from '../../src/runtime';
import { incidentWorkflowId } from '../../src/incident/ids';

/**
 * The API while no worker runs (issue #8, scenario 16): the HTTP process alone (`--role http`), on
 * the run's Temporal server, with nobody polling its task queue.
 */
describe('the API while no worker runs', () => {
  let klaxon: Klaxon;
  const tenant = uniqueTenant('noworker');

  beforeAll(async () => {
    klaxon = await startTestKlaxon(
      opsTenantYaml(tenant),
      { HOOK: 'hook', API: 'api', URL: 'http://127.0.0.1:9/unused' },
      {},
      { worker: false },
    );
  });
  afterAll(() => klaxon?.stop());

  const api = (path: string, body?: unknown) =>
    fetch(`${klaxon.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: 'Bearer api', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  test('an accepted incident is readable at once, and an ack answers 503 with Retry-After instead of hanging', async () => {
    const { incidentId: id } = await postAlert(klaxon.url, tenant, { groupKey: '{}:{a="1"}', labels: { alertname: 'NoWorker', service: 'api' }, fingerprint: 'nw' });

    // No worker has run it, yet the id the 202 gave answers.
    const got = await api(`/api/v1/incidents/${id}`);
    expect(got.status).toBe(200);
    expect(((await got.json()) as { incident: { status: string; title: string } }).incident).toMatchObject({ status: 'firing', title: 'NoWorker (api)' });

    const started = Date.now();
    const ack = await api(`/api/v1/incidents/${id}/ack`, { actor: 'alice' });
    expect(ack.status).toBe(503);
    expect(ack.headers.get('retry-after')).toBe('5');
    expect(((await ack.json()) as { message: string }).message).toMatch(/not confirmed/);
    // Bounded by the action deadline (5 s), not the 60 s it hung before.
    expect(Date.now() - started).toBeLessThan(20_000);
    await klaxon.client.workflow.getHandle(incidentWorkflowId(tenant, '{}:{a="1"}')).terminate('test over').catch(() => undefined);
  }, 60_000);
});
