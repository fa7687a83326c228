import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { openDatabase, type Database } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { IncidentStore } from '../../src/store/incidents';
import { NotificationAttempts } from '../../src/delivery/attempts';
import { NotificationLedger } from '../../src/delivery/ledger';
import { createNotifyActivity, type NotifyArgs, type NotifyResult } from '../../src/delivery/notifyActivity';
import type { SendAuditWriter } from '../../src/delivery/sendAudit';
import { notifiedDetails, type SendAudit } from '../../src/delivery/outcome';
import { AUDIT_WRITE_EARLY_MS } from '../../src/delivery/policy';
import { createAuditWrite } from '../../activities/audit';
import { ConfigStore } from '../../src/config/store';
import { createHttpDelivery } from '../../src/notifiers/http';
import type { IncidentView } from '../../src/incident/view';
import { eventually, opsTenantYaml, testAudit, testConfig, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';

/**
 * A page writes its own audit rows (issue #11): the rows the workflow recorded before it started
 * (the opening rows) and its outcome row, at the sequence number the workflow reserved, so a first
 * page needs no audit activity and no workflow task of its own. The audit store never holds up a
 * page: a failed or hanging write leaves the rows to the workflow.
 */
describe('a page that writes its own audit rows', () => {
  let db: Database;
  let incidents: IncidentStore;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let answer: () => Promise<{ status: number; body: string }> = async () => ({ status: 200, body: 'ok' });
  const silent = { logger: new DefaultLogger('ERROR') };

  beforeAll(async () => {
    db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'klaxon-page-audit-')) });
    await migrate(db.pool);
    incidents = new IncidentStore(db.pool, testAudit());
    receiver = await startReceiver(() => answer());
  });
  afterAll(async () => {
    await receiver?.close();
    await db?.close();
  });

  function setup(audit?: SendAuditWriter) {
    const tenant = uniqueTenant('pga');
    const config = new ConfigStore(testConfig(opsTenantYaml(tenant), { HOOK: 'h', API: 'a', URL: `${receiver.url}/hook` }));
    const write = createAuditWrite({ incidents, config });
    const notify = createNotifyActivity({
      config,
      ledger: new NotificationLedger(db.pool),
      attempts: new NotificationAttempts(db.pool),
      notifier: { http: createHttpDelivery(), now: () => new Date() },
      audit: audit ?? ((incident, events) => write(incident, events, { summary: 'while-firing' })),
    });
    const id = `i-${randomUUID()}`;
    const incident: IncidentView = {
      id, tenant, workflowId: `wf-${id}`, runId: 'run', title: 'PageAudit (api)', status: 'firing', severity: 'critical', declaredSeverity: 'warning',
      alertname: 'PageAudit', service: 'api', startedAt: new Date().toISOString(), commonLabels: { alertname: 'PageAudit' }, alerts: [],
      links: { workflow: 'http://ui', incident: 'http://klaxon' }, timeline: [],
    };
    const opening: SendAudit['events'] = [
      { seq: 1, at: incident.startedAt, kind: 'opened', actor: 'alertmanager', details: { alerts: 1 } },
      { seq: 2, at: incident.startedAt, kind: 'classified', actor: 'klaxon', details: { severity: 'critical' } },
    ];
    const args: NotifyArgs = { tenant, receiver: 'ops', kind: 'firing', incident, idempotencyKey: `${id}/1/ops`, audit: { seq: 4, groupKey: 'g', step: 0, events: opening } };
    const run = (a: NotifyArgs = args): Promise<NotifyResult> => new MockActivityEnvironment({ attempt: 1, activityId: '1' }, silent).run(notify, a);
    const rows = async () => (await db.pool.query<{ seq: number; kind: string; details: Record<string, unknown> }>('SELECT seq, kind, details FROM incident_events WHERE incident_id = $1 ORDER BY seq', [id])).rows;
    const summary = async () => (await db.pool.query<{ status: string; severity: string }>('SELECT status, severity FROM incidents WHERE id = $1', [id])).rows[0];
    return { id, tenant, incident, args, run, rows, summary, write };
  }

  test('writes the rows it carries and its outcome row (as the workflow records it) at the reserved seq, with the summary', async () => {
    answer = async () => ({ status: 200, body: 'ok' });
    const { args, run, rows, summary } = setup();
    const r = await run();
    expect(r.auditedAt).toEqual(expect.any(String));
    const stored = await rows();
    expect(stored.map((e) => [e.seq, e.kind])).toEqual([[1, 'opened'], [2, 'classified'], [4, 'notified']]);
    // The workflow's own row for this result (src/delivery/pager.ts) is the same row.
    expect(stored[2].details).toEqual(JSON.parse(JSON.stringify(notifiedDetails({ step: 0, kind: 'firing', receiver: 'ops' }, r))));
    expect(await summary()).toEqual({ status: 'firing', severity: 'critical' });
  });

  test("does not undo a later summary: an incident acknowledged meanwhile stays acknowledged", async () => {
    answer = async () => ({ status: 200, body: 'ok' });
    const { incident, run, summary, write } = setup();
    await write({ ...incident, status: 'acknowledged', acknowledgedBy: 'alice', groupKey: 'g' }, [{ seq: 3, at: new Date().toISOString(), kind: 'acknowledged', actor: 'alice', details: {} }]);
    expect((await run()).auditedAt).toBeDefined();
    expect(await summary()).toEqual({ status: 'acknowledged', severity: 'critical' });
  });

  test('a vendor slower than AUDIT_WRITE_EARLY_MS: the carried rows are in the store before it answers', async () => {
    let release!: () => void;
    const answered = new Promise<void>((resolve) => (release = resolve));
    answer = async () => {
      await answered;
      return { status: 200, body: 'ok' };
    };
    const { run, rows } = setup();
    const sending = run();
    await eventually(async () => (await rows()).length === 2, AUDIT_WRITE_EARLY_MS + 10_000, 'the opening rows, while the vendor has not answered');
    release();
    await sending;
    expect((await rows()).map((e) => e.kind)).toEqual(['opened', 'classified', 'notified']);
  });

  test('a vendor that fails: the carried rows are written, no outcome row (the workflow records the failure)', async () => {
    answer = async () => ({ status: 503, body: 'unavailable' });
    const { run, rows } = setup();
    await expect(run()).rejects.toMatchObject({ type: 'DeliveryFailed' });
    await eventually(async () => (await rows()).length === 2, 10_000, 'the carried rows');
    expect((await rows()).map((e) => e.kind)).toEqual(['opened', 'classified']);
  });

  test('an audit store that fails or hangs never holds up the page: delivered, and the rows are left to the workflow', async () => {
    answer = async () => ({ status: 200, body: 'ok' });
    const failing = setup(async () => {
      throw new Error('connection refused');
    });
    const r1 = await failing.run();
    expect(r1.auditedAt).toBeUndefined();
    const hanging = setup(() => new Promise(() => undefined));
    const r2 = await hanging.run();
    expect(r2.auditedAt).toBeUndefined();
    // Both pages went out.
    const keys = receiver.messages().map((m) => m.idempotencyKey);
    expect(keys).toEqual(expect.arrayContaining([failing.args.idempotencyKey, hanging.args.idempotencyKey]));
  });

  test('a retry of a page that was delivered writes nothing of its own (the ledger says duplicate)', async () => {
    answer = async () => ({ status: 200, body: 'ok' });
    const { args, run, rows } = setup();
    await run();
    const again = await run({ ...args, audit: { ...args.audit!, events: [] } });
    expect(again).toMatchObject({ duplicate: true });
    expect(again.auditedAt).toBeUndefined();
    expect((await rows()).map((e) => e.seq)).toEqual([1, 2, 4]);
  });
});
