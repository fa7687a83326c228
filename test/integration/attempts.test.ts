import { mkdtempSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { RetryPolicy } from '@temporalio/common';
import { openDatabase, type Database } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { IncidentStore, type StoredEvent } from '../../src/store/incidents';
import { NotificationAttempts, type FailedAttempt } from '../../src/delivery/attempts';
import { NotificationLedger } from '../../src/delivery/ledger';
import { createNotifyActivity } from '../../src/delivery/notifyActivity';
import { ConfigStore } from '../../src/config/store';
import { createHttpDelivery } from '../../src/notifiers/http';
import { mergeTimeline } from '../../src/incident/timeline';
import type { IncidentView } from '../../src/incident/view';
import { eventually, opsTenantYaml, testAudit, testConfig, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function incidentView(id: string, tenant: string): IncidentView {
  return {
    id, tenant, workflowId: `wf-${id}`, runId: 'run', title: 'Attempts (api)', status: 'firing', severity: 'critical', declaredSeverity: 'critical',
    alertname: 'Attempts', service: 'api', startedAt: at(0), commonLabels: { alertname: 'Attempts' }, alerts: [],
    links: { workflow: 'http://ui', incident: 'http://klaxon' }, timeline: [],
  };
}

function failed(over: Partial<FailedAttempt> & Pick<FailedAttempt, 'incidentId' | 'tenant'>): FailedAttempt {
  return { idempotencyKey: `${over.incidentId}/1/ops`, attemptId: 'run/1/1', receiver: 'ops', kind: 'firing', attempt: 1, at: at(1000), status: 503, reason: 'example.com answered 503: unavailable', retryInMs: 1000, final: false, ...over };
}

// The migration must hold on both stores Klaxon runs on: PGlite always, Postgres when DATABASE_URL is set.
const stores: Array<[string, string | undefined]> = [['PGlite', undefined], ...(process.env.DATABASE_URL ? [['Postgres', process.env.DATABASE_URL] as [string, string]] : [])];

describe.each(stores)('failed notification tries in the audit store (%s)', (_name, url) => {
  let db: Database;
  let attempts: NotificationAttempts;
  let incidents: IncidentStore;
  const tenant = uniqueTenant('att');

  beforeAll(async () => {
    db = await openDatabase({ url, dataDir: mkdtempSync(join(tmpdir(), 'klaxon-attempts-')) });
    await migrate(db.pool);
    attempts = new NotificationAttempts(db.pool);
    incidents = new IncidentStore(db.pool, testAudit());
  });
  afterAll(() => db?.close());

  test('a try written twice is one row; a send restarted under the same key keeps its tries apart', async () => {
    const incidentId = `i-${randomUUID()}`;
    const first = failed({ incidentId, tenant });
    await attempts.record(first);
    await attempts.record({ ...first, reason: 'written again' });
    // After continue-as-new the same key's attempt numbers start at 1 again, under another run.
    await attempts.record(failed({ incidentId, tenant, attemptId: 'run2/1/1', at: at(4000), status: 429, retryInMs: undefined }));
    const rows = await attempts.forIncident(incidentId, tenant);
    expect(rows).toEqual([
      { ...first },
      expect.objectContaining({ attemptId: 'run2/1/1', attempt: 1, at: at(4000), status: 429 }),
    ]);
    expect(rows[1].retryInMs).toBeUndefined();
    expect(await attempts.forIncident(incidentId, 'another-tenant')).toEqual([]);
  });

  test('the timeline puts each failed try before the first workflow event after it, and keeps the events in seq order', async () => {
    const id = `i-${randomUUID()}`;
    const view = incidentView(id, tenant);
    const ev = (seq: number, ms: number, kind: string): StoredEvent => ({ seq, at: at(ms), kind, actor: 'klaxon', details: {} });
    // `alerts.updated` carries an earlier time than `notified` before it: events still keep their order.
    await incidents.record({ ...view, groupKey: 'g' }, [ev(1, 0, 'opened'), ev(2, 0, 'policy.selected'), ev(3, 5000, 'notified'), ev(4, 4000, 'alerts.updated'), ev(5, 9000, 'resolved')]);
    await attempts.record(failed({ incidentId: id, tenant, attemptId: 'r/1/2', attempt: 2, at: at(4500), status: 429, retryInMs: 1000 }));
    await attempts.record(failed({ incidentId: id, tenant, attemptId: 'r/1/1', attempt: 1, at: at(1000) }));
    // At the very millisecond of an event: after it (the event is what started the send).
    await attempts.record(failed({ incidentId: id, tenant, idempotencyKey: `${id}/1/chat`, receiver: 'chat', attemptId: 'r/2/1', at: at(0), status: undefined, reason: 'chat: connect ECONNREFUSED' }));
    await attempts.record(failed({ incidentId: id, tenant, idempotencyKey: `${id}/resolved/ops`, kind: 'resolved', attemptId: 'r/3/1', at: at(9500), status: 400, reason: 'example.com answered 400: gone', retryInMs: undefined, final: true }));

    const timeline = mergeTimeline(await incidents.timeline(id), await attempts.forIncident(id, tenant));
    expect(timeline.map((e) => `${e.seq ?? '-'} ${e.kind} ${e.at.slice(17, 23)}`)).toEqual([
      '1 opened 00.000',
      '2 policy.selected 00.000',
      '- notify.attempt 00.000',
      '- notify.attempt 01.000',
      '- notify.attempt 04.500',
      '3 notified 05.000',
      '4 alerts.updated 04.000',
      '5 resolved 09.000',
      '- notify.attempt 09.500',
    ]);
    expect(timeline[3]).toEqual({ at: at(1000), kind: 'notify.attempt', actor: 'klaxon', details: { receiver: 'ops', kind: 'firing', attempt: 1, status: 503, reason: 'example.com answered 503: unavailable', retryInMs: 1000, final: false } });
    expect(timeline[2].details).toEqual({ receiver: 'chat', kind: 'firing', attempt: 1, reason: 'chat: connect ECONNREFUSED', retryInMs: 1000, final: false });
    expect(timeline[8].details).toMatchObject({ kind: 'resolved', status: 400, final: true });
    expect(timeline[8].details).not.toHaveProperty('retryInMs');
  });
});

/** The notify activity's side, against real Postgres (or PGlite) and a local receiver. */
describe('the notify activity records the tries that did not deliver', () => {
  let db: Database;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let answer = { status: 503, body: 'unavailable', headers: {} as Record<string, string> };
  const silent = { logger: new DefaultLogger('ERROR') };

  beforeAll(async () => {
    db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'klaxon-attempts-')) });
    await migrate(db.pool);
    receiver = await startReceiver(() => answer);
  });
  afterAll(async () => {
    await receiver?.close();
    await db?.close();
  });

  const setup = (attempts: NotificationAttempts) => {
    const tenant = uniqueTenant('act');
    const config = new ConfigStore(testConfig(opsTenantYaml(tenant), { HOOK: 'h', API: 'a', URL: `${receiver.url}/hook?token=s3cret-in-url` }));
    const notify = createNotifyActivity({ config, ledger: new NotificationLedger(db.pool), attempts, notifier: { http: createHttpDelivery(), now: () => new Date() } });
    const id = `i-${randomUUID()}`;
    const args = { tenant, receiver: 'ops', kind: 'firing' as const, incident: incidentView(id, tenant), idempotencyKey: `${id}/1/ops` };
    return { tenant, id, args, notify };
  };
  // Temporal's page policy (src/delivery/policy.ts) as the worker hands it to an attempt, in ms.
  const pageRetry: RetryPolicy = { initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 120_000 };

  test("a vendor's 503 and 429 are recorded with the status, the scrubbed reason and when the next try is due; a refusal as final", async () => {
    const attempts = new NotificationAttempts(db.pool);
    const { tenant, id, args, notify } = setup(attempts);
    const runAttempt = (attempt: number, retryPolicy = pageRetry) =>
      new MockActivityEnvironment({ attempt, activityId: '1', retryPolicy }, silent).run(notify, args).catch((e: { type?: string }) => e.type);

    answer = { status: 503, body: 'unavailable', headers: {} };
    expect(await runAttempt(3)).toBe('DeliveryFailed');
    answer = { status: 429, body: 'slow down', headers: { 'retry-after': '7' } };
    expect(await runAttempt(4)).toBe('DeliveryFailed');
    answer = { status: 410, body: 'channel is gone', headers: {} };
    expect(await runAttempt(5)).toBe('DeliveryRejected');

    const rows = await waitForRows(attempts, id, tenant, 3);
    expect(rows.map(({ attempt, status, retryInMs, final }) => ({ attempt, status, retryInMs, final }))).toEqual([
      // Temporal's backoff: 1 s × 2^(3−1).
      { attempt: 3, status: 503, retryInMs: 4000, final: false },
      // The vendor's Retry-After wins over the backoff.
      { attempt: 4, status: 429, retryInMs: 7000, final: false },
      { attempt: 5, status: 410, retryInMs: undefined, final: true },
    ]);
    expect(rows[0].reason).toMatch(/answered 503: unavailable/);
    expect(JSON.stringify(rows)).not.toContain('s3cret-in-url');
  });

  test("a notice's last allowed try is final", async () => {
    const attempts = new NotificationAttempts(db.pool);
    const { tenant, id, args, notify } = setup(attempts);
    answer = { status: 503, body: 'unavailable', headers: {} };
    await new MockActivityEnvironment({ attempt: 12, activityId: '1', retryPolicy: { ...pageRetry, maximumAttempts: 12 } }, silent).run(notify, args).catch(() => undefined);
    expect(await waitForRows(attempts, id, tenant, 1)).toEqual([expect.objectContaining({ attempt: 12, status: 503, final: true, retryInMs: undefined })]);
  });

  test("a try that finds another attempt's lease on the key is recorded with the wait (its holder may have died mid-request)", async () => {
    const attempts = new NotificationAttempts(db.pool);
    const { tenant, id, args, notify } = setup(attempts);
    const before = receiver.received.length;
    await new NotificationLedger(db.pool).claim(args.idempotencyKey, { incidentId: id, tenant, receiver: 'ops', kind: 'firing' }, { owner: 'dead-worker/1/1', ms: 20_000 });
    const outcome = await new MockActivityEnvironment({ attempt: 2, activityId: '1', retryPolicy: pageRetry }, silent).run(notify, args).catch((e: { type?: string }) => e.type);
    expect(outcome).toBe('SendInProgress');
    expect(receiver.received.length).toBe(before);
    const [row] = await waitForRows(attempts, id, tenant, 1);
    expect(row).toMatchObject({ attempt: 2, final: false, reason: expect.stringMatching(/another attempt holds this notification's lease \(dead-worker\/1\/1\)/) });
    expect(row.status).toBeUndefined();
    expect(row.retryInMs).toBeGreaterThan(15_000);
  });

  test('with the audit store hanging, the try is not recorded and its failure reaches Temporal at once', async () => {
    // A "Postgres" that accepts connections and never answers: the worst case for a best-effort write.
    const sockets = new Set<Socket>();
    const blackhole = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    const hung = new pg.Pool({ host: '127.0.0.1', port: (blackhole.address() as { port: number }).port, user: 'postgres', database: 'x' });
    hung.on('error', () => undefined);
    const writes = jest.spyOn(NotificationAttempts.prototype, 'record');
    try {
      const { args, notify } = setup(new NotificationAttempts(hung));
      answer = { status: 503, body: 'unavailable', headers: {} };
      const before = receiver.received.length;
      const started = Date.now();
      const outcome = await new MockActivityEnvironment({ attempt: 1, activityId: '1', retryPolicy: pageRetry }, silent).run(notify, args).catch((e: { type?: string }) => e.type);
      expect(outcome).toBe('DeliveryFailed');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(receiver.received.length).toBe(before + 1);
      expect(writes).toHaveBeenCalledTimes(1);
    } finally {
      writes.mockRestore();
      for (const s of sockets) s.destroy();
      blackhole.close();
      await hung.end().catch(() => undefined);
    }
  });
});

/** The activity does not wait for its write (best effort): the rows land a moment later. */
function waitForRows(attempts: NotificationAttempts, id: string, tenant: string, n: number): Promise<FailedAttempt[]> {
  return eventually(async () => {
    const rows = await attempts.forIncident(id, tenant);
    return rows.length >= n ? rows : undefined;
  }, 5000, `${n} attempt row(s)`);
}
