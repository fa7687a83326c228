import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { eventually, startTestKlaxon, tenantYaml } from '../support/klaxon';
import { freePort } from '../../src/temporal/devServer';
import { startReceiver } from '../support/receiver';
import { projectRoot } from '../../src/paths';
import type { Klaxon } from '../../src/runtime';

/** Debian's chromium (`.ci/run` installs it); playwright-core drives it, with no browser download. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The README's screenshots are refreshed on request (UPDATE_SCREENSHOTS=1); otherwise a run
// leaves the checkout as it found it and writes them under .tmp.
const DOCS = process.env.UPDATE_SCREENSHOTS ? join(projectRoot, 'docs') : join(projectRoot, '.tmp', 'screenshots');

/**
 * The Temporal Web UI as the incident console: a Klaxon with its own embedded dev server and UI
 * (as `npm start` runs it, the UI decoding through Klaxon's codec server), one paged incident, and
 * a headless Chromium that filters, opens it, and reads what Klaxon put there.
 */
describe('the Temporal Web UI as the incident console', () => {
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let refusing: Awaited<ReturnType<typeof startReceiver>>;
  let browser: Browser;
  let page: Page;
  let uiUrl: string;
  let workflowId: string;
  let incidentId: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    receiver = await startReceiver();
    refusing = await startReceiver(() => ({ status: 400, body: 'no such recipient: carol-refused@example.com' }));
    const yaml = tenantYaml(
      'acme',
      `    tier: premium
    users:
      alice: { name: Alice, email: alice@example.com }
    receivers:
      slack-ops: { type: webhook, url: "\${URL}" }
      strict: { type: webhook, url: "\${REFUSING}" }
    userChannels: { email: slack-ops }
    escalationPolicies:
      critical:
        steps:
          - notify: { receivers: [slack-ops] }
          - wait: 5m
          - notify: { users: [alice] }
      refused: { steps: [{ notify: { receivers: [strict] } }, { wait: 5m }] }
    routes:
      - { matchers: ['case="refused"'], policy: refused }
    defaultPolicy: critical
`,
    );
    const uiPort = await freePort();
    klaxon = await startTestKlaxon(
      yaml,
      { HOOK: 'hook', API: 'api', URL: `${receiver.url}/hooks/ops`, REFUSING: refusing.url },
      // Its own dev server with the Web UI (no TEMPORAL_ADDRESS), and its own PGlite: tenant "acme"
      // here must not meet other tests' rows in the shared Postgres.
      { TEMPORAL_ADDRESS: '', TEMPORAL_PORT: '0', TEMPORAL_UI_PORT: String(uiPort), DATABASE_URL: '' },
    );
    uiUrl = klaxon.temporalUiUrl!;
    const alert = {
      status: 'firing',
      labels: { alertname: 'HighLatency', service: 'checkout', severity: 'critical', instance: 'web-1:9090', team: '<b>core</b>' },
      annotations: { summary: 'p99 latency above 2s for 10 minutes', runbook_url: 'https://runbooks.example/high-latency' },
      startsAt: new Date().toISOString(),
      fingerprint: 'ui-1',
    };
    const res = await fetch(`${klaxon.url}/webhook/acme`, {
      method: 'POST',
      headers: { authorization: 'Bearer hook', 'content-type': 'application/json' },
      body: JSON.stringify({ version: '4', groupKey: '{}:{alertname="HighLatency"}', status: 'firing', receiver: 'klaxon', commonLabels: alert.labels, commonAnnotations: alert.annotations, alerts: [alert] }),
    });
    expect(res.status).toBe(202);
    const started = ((await res.json()) as { incidents: Array<{ workflowId: string; incidentId: string }> }).incidents[0];
    ({ workflowId, incidentId } = started);
    // Paged, and waiting out the 5m before step 3: the current details name both.
    await eventually(async () => receiver.messages().length >= 1, 20_000, 'the first page');
    await eventually(async () => (await klaxon.client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails?.includes('step 3'), 20_000, 'current details naming the next step');

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    mkdirSync(DOCS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await klaxon?.stop();
    await receiver?.close();
    await refusing?.close();
  });

  test('the list, filtered by tenant and status, shows the incident with its alert, service, severity and status', async () => {
    const query = 'KlaxonTenant="acme" AND KlaxonStatus="firing"';
    await page.goto(`${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    const row = page.locator('tr', { hasText: workflowId });
    await row.waitFor({ timeout: 30_000 });
    // The list has no column for the summary (UI 2.54): Klaxon's search attributes make it readable.
    await page.click('[data-testid=workflows-summary-table-configuration-button]');
    for (const column of ['KlaxonAlertName', 'KlaxonService', 'KlaxonSeverity', 'KlaxonStatus']) await page.click(`[data-testid=orderable-list-item-${column}] button`);
    // Room for them: the run id and type say nothing about an incident.
    for (const column of ['Run ID', 'Type', 'End']) await page.locator(`[data-testid="orderable-list-item-${column}"] button`).last().click();
    await page.click('button[aria-label="Close Workflows Table configuration"]');
    await page.locator('#workflows-table-configuration-drawer').waitFor({ state: 'hidden' });
    await page.locator('th', { hasText: 'KlaxonStatus' }).waitFor();
    const text = await row.innerText();
    for (const value of ['HighLatency', 'checkout', 'critical', 'firing']) expect(text).toContain(value);
    await page.screenshot({ path: join(DOCS, 'webui-list.png') });
  });

  test('the incident shows its title, its alerts and labels (escaped), and where the escalation stands', async () => {
    await page.click(`a:has-text("${workflowId}")`);
    await page.click('text=User Metadata');
    // Decoded by Klaxon's codec server in the browser (the stored metadata is encrypted); the UI
    // renders each markdown text in a frame of its own.
    const text = async (id: string) => {
      const frame = page.frameLocator(`#user-metadata-${id}`);
      await frame.locator('body').waitFor({ timeout: 30_000 });
      return frame.locator('body').innerText();
    };
    const current = page.frameLocator('#user-metadata-current-details');
    await current.locator('text=Next:').waitFor({ timeout: 30_000 });
    expect(await text('summary')).toContain('HighLatency (checkout)');
    const details = await text('details');
    expect(details).toContain('HighLatency on web-1:9090: p99 latency above 2s for 10 minutes');
    // A label's markup is shown as text, never rendered.
    expect(details).toContain('team=<b>core</b>');
    expect(await page.frameLocator('#user-metadata-details').locator('b', { hasText: 'core' }).count()).toBe(0);
    expect(await page.frameLocator('#user-metadata-details').locator('a', { hasText: 'https://runbooks.example/high-latency' }).count()).toBe(1);
    const now = await text('current-details');
    expect(now).toMatch(/Status: firing/);
    expect(now).toMatch(/Paged: slack-ops/);
    expect(now).toMatch(/Next: page alice, step 3 at \d{4}-/);
    expect(now).toMatch(/SLA \(premium\): ack by/);
    await page.screenshot({ path: join(DOCS, 'webui-incident.png') });
  });

  test("the timeline names each activity and timer by what it does for the incident", async () => {
    await page.click('text=Timeline');
    await page.locator('text=wait 5m before step 3').first().waitFor({ timeout: 30_000 });
    const timeline = await page.locator('body').innerText();
    // Regular activities and timers; UI 2.54 shows local activities (markers) by type only. The SLA
    // clock waits on one timer, the nearest target's (the resolve target's follows the ack).
    for (const summary of ['page slack-ops, step 1', 'audit opened, classified, policy.selected', 'SLA: ack within 15m']) expect(timeline).toContain(summary);
    await page.locator('text=wait 5m before step 3').first().evaluate((e) => e.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: join(DOCS, 'webui-timeline.png') });
  });

  test('an acknowledgement shows in the current details', async () => {
    const ack = await fetch(`${klaxon.url}/api/v1/incidents/${encodeURIComponent(incidentId)}/ack`, {
      method: 'POST',
      headers: { authorization: 'Bearer api', 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'looking' }),
    });
    expect(ack.status).toBe(200);
    await page.reload();
    await page.click('text=User Metadata');
    const current = page.frameLocator('#user-metadata-current-details');
    await current.locator('text=acknowledged by api-token').waitFor({ timeout: 30_000 });
    expect(await current.locator('body').innerText()).not.toContain('Next: page alice');
  });

  test("a refused page's reason (encrypted in Temporal's history) reads in plaintext in the UI, decoded through Klaxon's codec server", async () => {
    const labels = { alertname: 'Refused', case: 'refused', severity: 'critical' };
    const res = await fetch(`${klaxon.url}/webhook/acme`, {
      method: 'POST',
      headers: { authorization: 'Bearer hook', 'content-type': 'application/json' },
      body: JSON.stringify({ version: '4', groupKey: '{}:{case="refused"}', status: 'firing', receiver: 'klaxon', commonLabels: labels, alerts: [{ status: 'firing', labels, annotations: {}, startsAt: new Date().toISOString(), fingerprint: 'ui-refused' }] }),
    });
    expect(res.status).toBe(202);
    const refused = ((await res.json()) as { incidents: Array<{ workflowId: string }> }).incidents[0].workflowId;
    const handle = klaxon.client.workflow.getHandle(refused);
    await eventually(async () => ((await handle.fetchHistory()).events ?? []).some((e) => e.activityTaskFailedEventAttributes), 20_000, 'the refused page in history');
    const runId = (await handle.describe()).runId;
    await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(refused)}/${runId}/history`);
    // The event's row shows what the server holds ("Encoded failure"); opened, the UI has the
    // codec server decode it (UI 2.54).
    await page.locator('text=Activity Task Failed').first().click();
    await page.locator('text=answered 400: no such recipient: carol-refused@example.com').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('text=Encoded failure').count()).toBeGreaterThan(0);
  });
});
