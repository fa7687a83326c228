import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { NotificationLedger } from '../../src/delivery/ledger';
import { NotificationAttempts } from '../../src/delivery/attempts';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ConfigStore } from '../../src/config/store';
import { createNotifyActivity } from '../../src/delivery/notifyActivity';
import { createHttpDelivery } from '../../src/notifiers/http';
import { opsTenantYaml, testConfig } from '../support/klaxon';
import { startReceiver } from '../support/receiver';

/** The ledger is a lock (issue #8, scenario 7): real Postgres (DATABASE_URL) or PGlite. */
describe('notification ledger leases', () => {
  let db: Database;
  let ledger: NotificationLedger;
  const info = { incidentId: 'i-1', tenant: 't', receiver: 'ops', kind: 'firing' };

  beforeAll(async () => {
    db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'klaxon-ledger-')) });
    await migrate(db.pool);
    ledger = new NotificationLedger(db.pool);
  });
  afterAll(() => db?.close());

  test('of concurrent claims on one key exactly one may send; the others are told how long the lease lasts', async () => {
    const key = `k-${randomUUID()}`;
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => ledger.claim(key, info, { owner: `attempt-${i}`, ms: 15_000 })));
    expect(claims.filter((c) => c.outcome === 'acquired')).toHaveLength(1);
    const held = claims.filter((c) => c.outcome === 'held');
    expect(held).toHaveLength(7);
    for (const h of held) expect(h.outcome === 'held' && h.retryInMs).toBeGreaterThan(10_000);
  });

  test('a sent key returns the stored result (and who delivered it) instead of sending again', async () => {
    const key = `k-${randomUUID()}`;
    expect((await ledger.claim(key, info, { owner: 'a', ms: 15_000 })).outcome).toBe('acquired');
    await ledger.markSent(key, { thread: { ts: '1.2' }, response: 'ok', deliveredBy: 'backup' });
    const again = await ledger.claim(key, info, { owner: 'b', ms: 15_000 });
    expect(again).toMatchObject({ outcome: 'sent', thread: { ts: '1.2' }, response: 'ok', deliveredBy: 'backup' });
  });

  test('a released lease (the attempt failed) is free at once; an expired one (the worker died) after its expiry — the documented re-send', async () => {
    const key = `k-${randomUUID()}`;
    await ledger.claim(key, info, { owner: 'a', ms: 15_000 });
    await ledger.release(key, 'a', 'vendor answered 503');
    expect((await ledger.claim(key, info, { owner: 'b', ms: 300 })).outcome).toBe('acquired');
    // b "dies" mid-request: c is held off until b's lease runs out, then may send again.
    expect((await ledger.claim(key, info, { owner: 'c', ms: 15_000 })).outcome).toBe('held');
    await new Promise((r) => setTimeout(r, 400));
    expect((await ledger.claim(key, info, { owner: 'c', ms: 15_000 })).outcome).toBe('acquired');
    const [row] = (await ledger.forIncident('i-1')).filter((r) => r.key === key);
    expect(row.attempts).toBe(3);
  });

  test('a live attempt renews its lease without counting as another attempt', async () => {
    const key = `k-${randomUUID()}`;
    await ledger.claim(key, info, { owner: 'a', ms: 300 });
    await ledger.renew(key, 'a', 15_000);
    await new Promise((r) => setTimeout(r, 400));
    expect((await ledger.claim(key, info, { owner: 'b', ms: 15_000 })).outcome).toBe('held');
    const [row] = (await ledger.forIncident('i-1')).filter((r) => r.key === key);
    expect(row.attempts).toBe(1);
  });
});

/**
 * A paused attempt (SIGSTOP, a frozen VM, a long GC) must not send once its lease has run out: a
 * retry may own the key by then, and both would page (found by `npm run chaos`, worker stopped 20 s).
 */
describe('a notify attempt paused past its lease', () => {
  let db: Database;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  afterAll(async () => {
    jest.restoreAllMocks();
    await receiver?.close();
    await db?.close();
  });

  test('does not send: it gives the key back and fails retryably', async () => {
    db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'klaxon-ledger-')) });
    await migrate(db.pool);
    receiver = await startReceiver();
    const config = new ConfigStore(testConfig(opsTenantYaml('t'), { HOOK: 'h', API: 'a', URL: `${receiver.url}/hook` }));
    // The process "sleeps" right after its claim: its clock jumps a minute (no timer ran meanwhile).
    let pausedFor = 0;
    const realNow = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + pausedFor);
    const ledger = new NotificationLedger(db.pool);
    const claim = ledger.claim.bind(ledger);
    ledger.claim = async (...args) => {
      const r = await claim(...args);
      pausedFor = 60_000;
      return r;
    };
    const notify = createNotifyActivity({ config, ledger, attempts: new NotificationAttempts(db.pool), notifier: { http: createHttpDelivery(), now: () => new Date() } });
    const key = `paused-${randomUUID()}`;
    const incident = {
      id: 'i-paused', tenant: 't', workflowId: 'wf', runId: 'run', title: 'Paused (api)', status: 'firing' as const, severity: 'critical' as const,
      declaredSeverity: 'critical' as const, alertname: 'Paused', service: 'api', startedAt: new Date().toISOString(), commonLabels: { alertname: 'Paused' },
      alerts: [], links: { workflow: 'http://ui', incident: 'http://klaxon' }, timeline: [],
    };
    const run = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(notify, { tenant: 't', receiver: 'ops', kind: 'firing' as const, incident, idempotencyKey: key });
    await expect(run).rejects.toMatchObject({ type: 'DeliveryFailed', message: expect.stringMatching(/lease .* ran out before its request was sent/) });
    expect(receiver.received).toHaveLength(0);
    // Given back: the next attempt may send at once.
    expect((await ledger.claim(key, { incidentId: 'i-paused', tenant: 't', receiver: 'ops', kind: 'firing' }, { owner: 'next', ms: 15_000 })).outcome).toBe('acquired');
  });
});
