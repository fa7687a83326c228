import { eventually, postAlert, startTestKlaxon, tenantYaml, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { incidentWorkflowId } from '../../src/incident/ids';
import type { Klaxon } from '../../src/runtime';

/**
 * What an incident shows in Temporal's list right after it opens (search attributes the Web UI
 * filters on), when everything it recorded at open went out with its first page's own audit write
 * (issue #11): the workflow's audit writer never woke, so it must show the state anyway.
 */
describe('an incident right after it opens', () => {
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const tenant = uniqueTenant('open');

  beforeAll(async () => {
    receiver = await startReceiver();
    klaxon = await startTestKlaxon(
      tenantYaml(
        tenant,
        `    flapping: { window: 1h, threshold: 3 }
    receivers:
      ops: { type: webhook, url: "\${URL}" }
    escalationPolicies:
      p: { steps: [{ notify: { receivers: [ops] } }, { wait: 1h }] }
    defaultPolicy: p
`,
      ),
      { HOOK: 'hook', API: 'api', URL: `${receiver.url}/ops` },
    );
  }, 60_000);
  afterAll(async () => {
    await klaxon?.stop();
    await receiver?.close();
  });

  test('an incident that opens flapping is listed as flapping (KlaxonStatus), without another write', async () => {
    const alert = { groupKey: '{}:{alertname="OpensFlapping"}', labels: { alertname: 'OpensFlapping', service: 'disk' }, fingerprint: 'of-1' };
    const handle = klaxon.client.workflow.getHandle(incidentWorkflowId(tenant, alert.groupKey));
    // Twice: fire, page, resolve (each run ends before the next firing).
    for (let i = 0; i < 2; i++) {
      const { incidentId } = await postAlert(klaxon.url, tenant, alert);
      await eventually(async () => receiver.messages().some((m) => m.incident.id === incidentId && m.kind === 'firing'), 20_000, `page ${i + 1}`);
      await postAlert(klaxon.url, tenant, { ...alert, status: 'resolved' });
      await handle.result();
    }
    const { incidentId } = await postAlert(klaxon.url, tenant, alert);
    await eventually(async () => receiver.messages().some((m) => m.incident.id === incidentId && m.kind === 'firing'), 20_000, 'the flapping page');
    const status = await eventually(async () => {
      const sa = (await handle.describe()).searchAttributes as Record<string, unknown[]>;
      return sa.KlaxonStatus?.[0] === 'flapping' ? sa.KlaxonStatus[0] : undefined;
    }, 10_000, 'KlaxonStatus = flapping');
    expect(status).toBe('flapping');
  }, 90_000);
});
