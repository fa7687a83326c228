import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { eventually, opsTenantYaml, postAlert, startTestKlaxon, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { IncidentStore } from '../../src/store/incidents';
import { projectRoot } from '../../src/paths';
import type { Klaxon } from '../../src/runtime';

/**
 * Issue #8, scenario 14: a workflow task that is thrown away must leave no trace. The worker dies
 * (SIGKILL) just after the incident's first audit rows are written; an alert is added while no
 * worker runs, so the retried task sees a different history and numbers its events differently.
 * The audit timeline must still hold exactly what happened, once each.
 */
describe('a workflow task lost with its worker', () => {
  // Both processes must share one audit store: the machine's Postgres, as in CI.
  const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const tenant = uniqueTenant('lost');
  const taskQueue = `test-${randomUUID()}`;
  let http: Klaxon;
  let worker: Klaxon | undefined;
  let child: ChildProcess | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    http = await startTestKlaxon(opsTenantYaml(tenant), secrets(), { KLAXON_TASK_QUEUE: taskQueue, DATABASE_URL }, { worker: false });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await worker?.stop();
    await http?.stop();
    await receiver?.close();
  });

  const secrets = () => ({ HOOK: 'hook', API: 'api', URL: `${receiver.url}/hook` });

  test('leaves a timeline with every event once, and the retried task pages', async () => {
    // `--import tsx`, not the tsx CLI: the CLI runs the script in a grandchild and hides the signal.
    child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'test', 'support', 'crashingWorker.ts')], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL, CRASH_AFTER_KIND: 'opened', CRASH_CONFIG: JSON.stringify({ yaml: opsTenantYaml(tenant), secrets: secrets(), taskQueue }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)));
    await eventually(async () => child!.stdout!.read()?.toString().includes('worker running'), 60_000, 'the crashing worker');

    const labels = { alertname: 'LostTask', service: 'api' };
    const groupKey = '{}:{alertname="LostTask"}';
    const { incidentId: id } = await postAlert(http.url, tenant, { groupKey, labels, fingerprint: 'a1' });
    expect(await exited).toBe('SIGKILL');

    // While no worker runs: a second alert joins the group (a signal the lost task never saw).
    const second = { ...labels, instance: 'b' };
    const res = await fetch(`${http.url}/webhook/${tenant}`, {
      method: 'POST',
      headers: { authorization: 'Bearer hook', 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4', groupKey, status: 'firing', receiver: 'klaxon', commonLabels: labels,
        alerts: [
          { status: 'firing', labels, startsAt: new Date().toISOString(), fingerprint: 'a1' },
          { status: 'firing', labels: second, startsAt: new Date().toISOString(), fingerprint: 'b1' },
        ],
      }),
    });
    expect(res.status).toBe(202);

    worker = await startTestKlaxon(opsTenantYaml(tenant), secrets(), { KLAXON_TASK_QUEUE: taskQueue, DATABASE_URL }, { http: false });
    const store = new IncidentStore(http.db.pool, http.audit);
    await eventually(async () => receiver.messages().some((m) => m.kind === 'firing'), 60_000, 'the page');
    // The page is out; its audit row follows within a moment (or never, if a stale row holds its seq).
    await eventually(async () => (await store.timeline(id)).some((e) => e.kind === 'notified'), 15_000, 'the notified row').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
    const timeline = await store.timeline(id);

    const kinds = timeline.map((e) => e.kind);
    for (const once of ['opened', 'policy.selected', 'notified', 'alerts.updated']) {
      expect(kinds.filter((k) => k === once)).toEqual([once]);
    }
    // Numbered without gaps: no event of the run's own went missing.
    expect(timeline.map((e) => e.seq)).toEqual(timeline.map((_, i) => timeline[0].seq + i));
    expect(receiver.messages().filter((m) => m.kind === 'firing')).toHaveLength(1);
  }, 120_000);
});
