import pg from 'pg';
import { AuditKey } from '../../src/audit/key';
import { IncidentStore } from '../../src/store/incidents';
import type { IncidentView } from '../../src/incident/view';
import { EndedFeed } from '../../src/store/endedFeed';
import { incidentView, ownAuditDatabase } from '../support/auditDb';
import { eventually, uniqueTenant } from '../support/klaxon';

const key = new AuditKey('ended-feed-test-key-0123456789abcdef', 'test');

// Postgres LISTEN/NOTIFY: an HTTP process hears that an incident ended when the audit store
// commits it, and a lost listener connection is made again (re-sends are read from the store meanwhile).
describe('the ends feed on Postgres', () => {
  let own: Awaited<ReturnType<typeof ownAuditDatabase>>;
  let store: IncidentStore;
  const heard: Array<[string, string]> = [];
  let feed: EndedFeed;

  beforeAll(async () => {
    // Postgres only (PGlite has no listener): the machine's, as the shared-limits test uses.
    own = await ownAuditDatabase({ postgres: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
    store = new IncidentStore(own.db.pool, { key });
    feed = new EndedFeed(
      () => new pg.Client({ connectionString: own.url }),
      (workflowId, id) => heard.push([workflowId, id]),
      { retryMs: 100 },
    );
    await feed.start();
  }, 60_000);
  afterAll(async () => {
    await feed?.stop();
    await own?.drop();
  });

  const ev = (seq: number, kind: string) => ({ seq, at: new Date().toISOString(), kind, actor: 'klaxon', details: {} });

  test('a resolve is heard once it commits; firing and acknowledged writes are not', async () => {
    const tenant = uniqueTenant('feed');
    expect(feed.current()).toBe(1);
    const firing: IncidentView & { groupKey: string } = incidentView(tenant, `${tenant}-1`);
    await store.record(firing, [ev(1, 'opened')]);
    await store.record({ ...firing, status: 'acknowledged' }, [ev(2, 'acknowledged')]);
    await store.record({ ...firing, status: 'resolved' }, [ev(3, 'resolved')]);
    await eventually(async () => heard.length === 1, 5_000, 'the end');
    expect(heard).toEqual([[firing.workflowId, firing.id]]);
  });

  test('a listener cut off by the server is made again, under a new epoch', async () => {
    const before = feed.current();
    const r = await own.db.pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN klaxon_incident_ended' AND datname = current_database()`);
    expect(r.rows).toHaveLength(1);
    await own.db.pool.query('SELECT pg_terminate_backend($1)', [r.rows[0].pid]);
    await eventually(async () => feed.current() === undefined, 5_000, 'the loss noticed');
    // An entry learned before is not trusted now, nor under the next connection.
    expect(feed.trusted(before)).toBe(false);
    await eventually(async () => feed.current() !== undefined, 5_000, 'listening again');
    expect(feed.current()).toBe(before! + 1);
    expect(feed.trusted(before)).toBe(false);
    const tenant = uniqueTenant('feed');
    const again: IncidentView & { groupKey: string } = incidentView(tenant, `${tenant}-2`);
    await store.record({ ...again, status: 'resolved' }, [ev(1, 'resolved')]);
    await eventually(async () => heard.some(([, id]) => id === again.id), 5_000, 'an end after the reconnect');
  });
});
