import { AuditKey } from '../../src/audit/key';
import { adoptLegacyEvents } from '../../src/audit/chain';
import { verifyTenant } from '../../src/audit/verify';
import { audit as auditCommand } from '../../src/cli/commands/audit';
import { IncidentStore, type StoredEvent } from '../../src/store/incidents';
import type { Database } from '../../src/store/db';
import { incidentView, ownAuditDatabase, tamper } from '../support/auditDb';
import { uniqueTenant } from '../support/klaxon';

const key = new AuditKey('audit-chain-test-key-0123456789abcdef', 'test');

const view = incidentView;

const ev = (seq: number, kind = 'notified', details: Record<string, unknown> = { receiver: 'ops' }): StoredEvent => ({ seq, at: new Date().toISOString(), kind, actor: 'klaxon', details });

describe('the audit hash chain', () => {
  let own: Awaited<ReturnType<typeof ownAuditDatabase>>;
  let db: Database;
  let store: IncidentStore;
  beforeAll(async () => {
    own = await ownAuditDatabase();
    db = own.db;
    store = new IncidentStore(db.pool, { key });
  }, 60_000);
  afterAll(async () => own?.drop());

  /** A tenant with `n` events over two incidents; answers the tenant. */
  async function chain(n: number): Promise<string> {
    const tenant = uniqueTenant('chain');
    for (let i = 1; i <= n; i++) await store.record(view(tenant, `${tenant}-${i % 2}`), [ev(i, 'notified', { receiver: 'ops', n: i })]);
    return tenant;
  }
  const rowAt = async (tenant: string, position: number) =>
    (await db.pool.query('SELECT id::int AS id, incident_id, seq FROM incident_events WHERE tenant = $1 AND chain_seq = $2', [tenant, position])).rows[0];

  // First, while the store holds no tampered rows of other tests (adoption would take them too).
  test('rows from before the chain are chained in order at start, then verify', async () => {
    const tenant = uniqueTenant('legacy');
    await store.accept(view(tenant, `${tenant}-0`));
    for (let s = 1; s <= 3; s++) {
      await db.pool.query(`INSERT INTO incident_events (incident_id, tenant, seq, at, kind, actor, details) VALUES ($1, $2, $3, now(), 'notified', 'klaxon', '{}')`, [`${tenant}-0`, tenant, s]);
    }
    // As migration 008 does on a store that already has rows: they are the legacy ones.
    await db.pool.query('UPDATE audit_chain_genesis SET legacy_max_id = (SELECT max(id) FROM incident_events)');
    expect((await verifyTenant(db.pool, key, tenant)).findings.map((f) => f.kind)).toEqual(['inserted', 'inserted', 'inserted']);
    expect(await adoptLegacyEvents(db.pool, key)).toBeGreaterThanOrEqual(3);
    await store.record(view(tenant, `${tenant}-0`), [ev(4)]);
    expect(await verifyTenant(db.pool, key, tenant)).toMatchObject({ ok: true, rows: 4 });
    await db.pool.query('UPDATE audit_chain_genesis SET legacy_max_id = 0');
  });

  test('an untouched chain verifies, with its row count', async () => {
    const tenant = await chain(6);
    const r = await verifyTenant(db.pool, key, tenant);
    expect(r).toMatchObject({ ok: true, rows: 6, from: 0, to: 6, findings: [] });
  });

  test('a retried write (same incident and seq) stores nothing and does not advance the chain', async () => {
    const tenant = await chain(2);
    const again = await store.record(view(tenant, `${tenant}-1`), [ev(1), ev(3)]);
    expect(again).toBe(1);
    const r = await verifyTenant(db.pool, key, tenant);
    expect(r).toMatchObject({ ok: true, rows: 3, to: 3 });
  });

  test('concurrent writers of one tenant make one unbroken line', async () => {
    const tenant = uniqueTenant('conc');
    // Ten incidents, five events each, all at once through the pool's connections.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (async () => {
        for (let s = 1; s <= 5; s++) await store.record(view(tenant, `${tenant}-${i}`), [ev(s)]);
      })()),
    );
    const r = await verifyTenant(db.pool, key, tenant);
    expect(r).toMatchObject({ ok: true, rows: 50, to: 50 });
    const positions = (await db.pool.query('SELECT chain_seq::int AS p FROM incident_events WHERE tenant = $1 ORDER BY 1', [tenant])).rows.map((x) => x.p);
    expect(positions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  test('an external event (after the run ended) is chained too', async () => {
    const tenant = await chain(2);
    await Promise.all([0, 1, 2].map(() => store.appendExternal(`${tenant}-1`, tenant, { kind: 'action.rejected', actor: 'alice', details: { action: 'ack' } })));
    expect(await verifyTenant(db.pool, key, tenant)).toMatchObject({ ok: true, rows: 5 });
  });

  test('an edited row is named', async () => {
    const tenant = await chain(5);
    const row = await rowAt(tenant, 3);
    await tamper(db, `UPDATE incident_events SET details = '{"receiver":"someone-else"}' WHERE id = $1`, [row.id]);
    const r = await verifyTenant(db.pool, key, tenant);
    expect(r.ok).toBe(false);
    expect(r.findings).toEqual([expect.objectContaining({ kind: 'edited', position: 3, rowId: row.id, incidentId: row.incident_id, seq: row.seq })]);
  });

  test('an edited actor or timestamp is named too', async () => {
    const tenant = await chain(4);
    const a = await rowAt(tenant, 2);
    const b = await rowAt(tenant, 4);
    await tamper(db, `UPDATE incident_events SET actor = 'mallory' WHERE id = $1`, [a.id]);
    await tamper(db, `UPDATE incident_events SET at = at - interval '1 hour' WHERE id = $1`, [b.id]);
    const r = await verifyTenant(db.pool, key, tenant);
    expect(r.findings.map((f) => [f.kind, f.position])).toEqual([['edited', 2], ['edited', 4]]);
  });

  test('a deleted row is named by its position', async () => {
    const tenant = await chain(5);
    await tamper(db, 'DELETE FROM incident_events WHERE tenant = $1 AND chain_seq = 2', [tenant]);
    const r = await verifyTenant(db.pool, key, tenant);
    expect(r.findings).toEqual([expect.objectContaining({ kind: 'deleted', position: 2, through: 2 })]);
    expect(r.rows).toBe(4);
  });

  test('deleting the newest rows shows against the sealed end of the chain', async () => {
    const tenant = await chain(5);
    await tamper(db, 'DELETE FROM incident_events WHERE tenant = $1 AND chain_seq >= 4', [tenant]);
    const r = await verifyTenant(db.pool, key, tenant);
    expect(r.findings).toEqual([expect.objectContaining({ kind: 'deleted', position: 4, through: 5 })]);
  });

  test('a forged row is named as inserted, with or without chain columns', async () => {
    const tenant = await chain(3);
    await tamper(db, `INSERT INTO incident_events (incident_id, tenant, seq, at, kind, actor, details) VALUES ($1, $2, 99, now(), 'acknowledged', 'alice', '{}')`, [`${tenant}-1`, tenant]);
    const bogus = Buffer.alloc(32, 7);
    await tamper(
      db,
      `INSERT INTO incident_events (incident_id, tenant, seq, at, kind, actor, details, chain_seq, digest, prev_hash, hash) VALUES ($1, $2, 98, now(), 'resolved', 'alice', '{}', 4, $3, $3, $3)`,
      [`${tenant}-1`, tenant, bogus],
    );
    const r = await verifyTenant(db.pool, key, tenant);
    expect(r.findings.map((f) => [f.kind, f.seq])).toEqual([['inserted', 99], ['inserted', 98]]);
    expect(r.findings[0].message).toContain('no chain position');
    expect(r.findings[1].message).toContain('past the sealed end');
  });

  test("two rows' swapped content is named as reordered, each with where its content belongs", async () => {
    const tenant = await chain(5);
    const a = await rowAt(tenant, 2);
    const b = await rowAt(tenant, 4);
    // Swap everything a reader sees (incident, seq, time, kind, actor, details); chain columns stay.
    await tamper(
      db,
      `WITH x AS (SELECT id, incident_id, seq, at, kind, actor, details, recorded_at FROM incident_events WHERE id IN ($1, $2))
       UPDATE incident_events e SET incident_id = x.incident_id, seq = x.seq + 100000, at = x.at, kind = x.kind, actor = x.actor, details = x.details, recorded_at = x.recorded_at
         FROM x WHERE x.id <> e.id AND e.id IN ($1, $2)`,
      [a.id, b.id],
    );
    await tamper(db, 'UPDATE incident_events SET seq = seq - 100000 WHERE id IN ($1, $2)', [a.id, b.id]);
    const r = await verifyTenant(db.pool, key, tenant);
    expect(r.findings.map((f) => [f.kind, f.position])).toEqual([['reordered', 2], ['reordered', 4]]);
    expect(r.findings[0].message).toContain('content sealed at position 4');
    expect(r.findings[1].message).toContain('content sealed at position 2');
  });

  test('another key is told apart from tampering', async () => {
    const tenant = await chain(2);
    const r = await verifyTenant(db.pool, new AuditKey('some-other-key-0123456789abcdef0123456', 'other'), tenant);
    expect(r.findings[0]).toMatchObject({ kind: 'head' });
    expect(r.findings[0].message).toContain(`sealed with another key (id ${key.id}`);
  });

  test('the append-only trigger still refuses an ordinary update or delete', async () => {
    // PGlite over its socket drops the connection on any PL/pgSQL RAISE (a DO block too), before
    // and after this change; Postgres answers the trigger's error.
    if (!own.url) return;
    const tenant = await chain(1);
    await expect(db.pool.query(`UPDATE incident_events SET actor = 'x' WHERE tenant = $1`, [tenant])).rejects.toThrow('append-only');
    await expect(db.pool.query('DELETE FROM incident_events WHERE tenant = $1', [tenant])).rejects.toThrow('append-only');
  });

  test('`klaxon audit verify` exits 1 naming the row, and 0 with counts for a sound tenant', async () => {
    if (!own.url) return; // the CLI opens DATABASE_URL; on PGlite the checks above cover the same code
    const good = await chain(3);
    const bad = await chain(3);
    const row = await rowAt(bad, 2);
    await tamper(db, `UPDATE incident_events SET kind = 'resolved' WHERE id = $1`, [row.id]);
    const run = async (...args: string[]) => {
      let out = '';
      let err = '';
      const prev = { url: process.env.DATABASE_URL, key: process.env.KLAXON_AUDIT_KEY };
      process.env.DATABASE_URL = own.url;
      process.env.KLAXON_AUDIT_KEY = 'audit-chain-test-key-0123456789abcdef';
      try {
        const code = await auditCommand(['verify', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
        return { code, out, err };
      } finally {
        process.env.DATABASE_URL = prev.url;
        if (prev.key === undefined) delete process.env.KLAXON_AUDIT_KEY;
        else process.env.KLAXON_AUDIT_KEY = prev.key;
      }
    };
    const ok = await run('--tenant', good);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toBe(`ok    ${good}: 3 rows (positions 1-3)\n`);
    const failed = await run('--tenant', bad);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain(`FAIL  ${bad}: 1 problem(s)`);
    expect(failed.out).toContain(`edited    row id ${row.id} (incident ${row.incident_id}, seq ${row.seq}, resolved) at position 2 was edited`);
    expect(failed.err).not.toContain('audit-chain-test-key');
  });
});
