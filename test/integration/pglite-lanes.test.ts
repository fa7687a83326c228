import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { NotificationLedger } from '../../src/delivery/ledger';

/**
 * Embedded PGlite has one session, so every query waits its turn. In a storm the ledger's claim
 * for a page must not queue behind the audit writes (issue #8, scenario 10).
 */
describe('PGlite: the ledger goes first', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ dataDir: mkdtempSync(join(tmpdir(), 'klaxon-lanes-')) });
    await migrate(db.pool);
    for (const id of ['storm', 'tx']) {
      await db.pool.query(
        `INSERT INTO incidents (id, tenant, workflow_id, run_id, group_key, title, severity, declared_severity, status, started_at)
         VALUES ($1, 'lanes', $1, 'r', 'g', 'Storm', 'critical', 'critical', 'firing', now())`,
        [id],
      );
    }
  }, 60_000);
  afterAll(async () => db?.close());

  test('a claim made behind 300 queued audit writes is answered before most of them', async () => {
    let written = 0;
    const writes = Array.from({ length: 300 }, (_, i) =>
      db.pool
        .query(`INSERT INTO incident_events (incident_id, tenant, seq, at, kind, actor, details) VALUES ('storm', 'lanes', $1, now(), 'notified', 'klaxon', '{}')`, [i + 1])
        .then(() => written++),
    );
    const ledger = new NotificationLedger(db.urgent);
    const claim = await ledger.claim('storm/1/ops', { incidentId: 'storm', tenant: 'lanes', receiver: 'ops', kind: 'firing' }, { owner: 'a', ms: 30_000 });
    const writtenBeforeClaim = written;
    await Promise.all(writes);
    expect(claim.outcome).toBe('acquired');
    // First in line once the write in progress ends (a few may finish meanwhile).
    expect(writtenBeforeClaim).toBeLessThan(30);
    expect(written).toBe(300);
  });

  test('a transaction keeps the one session to itself; urgent work waits for it, then goes before the rest', async () => {
    const order: string[] = [];
    const client = await db.pool.connect();
    await client.query('BEGIN');
    const normal = db.pool.query('SELECT 1').then(() => order.push('normal'));
    const urgent = db.urgent.query('SELECT 1').then(() => order.push('urgent'));
    await client.query(`INSERT INTO incident_events (incident_id, tenant, seq, at, kind, actor, details) VALUES ('tx', 'lanes', 1, now(), 'opened', 'klaxon', '{}')`);
    order.push('in transaction');
    await client.query('COMMIT');
    client.release();
    await Promise.all([normal, urgent]);
    expect(order).toEqual(['in transaction', 'urgent', 'normal']);
  });

  // The audit chain's statements are named (prepared once per connection). PGlite keeps them in its
  // one session, whichever socket asked: a second socket into that session must not meet them.
  const named = () => db.pool.query({ name: 'klaxon-test-named', text: 'SELECT $1::int AS x', values: [7] });

  test('an idle connection is kept: named statements still answer after the pool would have closed it (10 s)', async () => {
    expect((await named()).rows[0].x).toBe(7);
    await new Promise((r) => setTimeout(r, 10_500));
    for (let i = 0; i < 3; i++) expect((await named()).rows[0].x).toBe(7);
  }, 30_000);

  test('a connection that drops is replaced cleanly: the new one finds no statements of the old', async () => {
    expect((await named()).rows[0].x).toBe(7);
    const client = await db.pool.connect();
    // The socket dies under it (as a crashed peer or a reset would): pg-pool discards the client.
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await new Promise((r) => setTimeout(r, 50));
    client.release(true);
    for (let i = 0; i < 3; i++) expect((await named()).rows[0].x).toBe(7);
    expect((await db.urgent.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });
});
