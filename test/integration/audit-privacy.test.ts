import { AuditKey } from '../../src/audit/key';
import { verifyTenant } from '../../src/audit/verify';
import { eraseSubject, tombstoneFor } from '../../src/audit/erase';
import { applyRetention } from '../../src/audit/retention';
import { IncidentStore, type StoredEvent } from '../../src/store/incidents';
import type { Database } from '../../src/store/db';
import { incidentView, ownAuditDatabase, tamper } from '../support/auditDb';
import { uniqueTenant } from '../support/klaxon';

const key = new AuditKey('audit-privacy-test-key-0123456789abcdef', 'test');
const DAY = 86_400_000;

const view = incidentView;
const ev = (seq: number, kind: string, actor: string, details: Record<string, unknown>): StoredEvent => ({ seq, at: new Date().toISOString(), kind, actor, details });

describe('erasure and retention keep the chain verifiable', () => {
  let own: Awaited<ReturnType<typeof ownAuditDatabase>>;
  let db: Database;
  let store: IncidentStore;
  beforeAll(async () => {
    own = await ownAuditDatabase();
    db = own.db;
    store = new IncidentStore(db.pool, { key });
  }, 60_000);
  afterAll(async () => own?.drop());

  const all = async (sql: string, params: unknown[]) => (await db.pool.query(sql, params)).rows;

  test("erasing a subject tombstones it everywhere in the tenant's rows, the chain still verifies, and the erasure is audited", async () => {
    const tenant = uniqueTenant('erase');
    const other = uniqueTenant('erase-other');
    const a = `${tenant}-a`;
    await store.record(view(tenant, a, 'Disk full (ask Carol@Example.com)'), [
      ev(1, 'opened', 'alertmanager', { alerts: 1 }),
      ev(2, 'notified', 'klaxon', { receiver: 'mail', user: 'carol', response: '250 ok: queued for carol@example.com' }),
      ev(3, 'acknowledged', 'carol@example.com', { note: 'on it; cc carol@example.com and dave@example.com' }),
    ]);
    await store.record(view(other, `${other}-a`), [ev(1, 'acknowledged', 'carol@example.com', {})]);
    await db.pool.query(`INSERT INTO notifications (idempotency_key, incident_id, tenant, receiver, kind, status, response) VALUES ($1, $2, $3, 'mail', 'firing', 'sent', '250 queued for carol@example.com')`, [`${a}/1/mail`, a, tenant]);

    const r = await eraseSubject(db.pool, key, { tenant, subject: 'carol@example.com', actor: 'dpo' });
    const tomb = tombstoneFor(key, 'carol@example.com');
    expect(tomb).toMatch(/^\[erased:[0-9a-f]{8}\]$/);
    expect(r).toMatchObject({ tombstone: tomb, events: 2, incidents: [a] });
    expect(r.other).toEqual({ 'incidents.title': 1, 'notifications.response': 1 });

    const rows = await all('SELECT seq, kind, actor, details FROM incident_events WHERE tenant = $1 ORDER BY seq', [tenant]);
    expect(JSON.stringify(rows)).not.toMatch(/carol@example\.com/i);
    expect(rows[1].details.response).toBe(`250 ok: queued for ${tomb}`);
    expect(rows[2]).toMatchObject({ actor: tomb, details: { note: `on it; cc ${tomb} and dave@example.com` } });
    expect(rows[3]).toMatchObject({ kind: 'audit.erased', actor: 'dpo', details: { subject: tomb, events: 2 } });
    expect((await all('SELECT title FROM incidents WHERE id = $1', [a]))[0].title).toBe(`Disk full (ask ${tomb})`);
    expect((await all('SELECT response FROM notifications WHERE incident_id = $1', [a]))[0].response).toBe(`250 queued for ${tomb}`);
    // Another tenant's rows are not this tenant's to erase.
    expect((await all('SELECT actor FROM incident_events WHERE tenant = $1', [other]))[0].actor).toBe('carol@example.com');

    expect(await verifyTenant(db.pool, key, tenant)).toMatchObject({ ok: true, rows: 4, erased: 2 });

    // An erased row is not a licence to edit it: a later change still shows.
    const erased = (await all('SELECT id::int AS id, chain_seq::int AS p FROM incident_events WHERE tenant = $1 AND seq = 3', [tenant]))[0];
    await tamper(db, `UPDATE incident_events SET details = '{"note":"nothing to see"}' WHERE id = $1`, [erased.id]);
    const after = await verifyTenant(db.pool, key, tenant);
    expect(after.findings).toEqual([expect.objectContaining({ kind: 'edited', position: erased.p, rowId: erased.id })]);
  });

  test('an erasure record forged without the key does not make an edit pass', async () => {
    const tenant = uniqueTenant('erase-forge');
    await store.record(view(tenant, `${tenant}-a`), [ev(1, 'acknowledged', 'eve@example.com', {})]);
    await eraseSubject(db.pool, key, { tenant, subject: 'eve@example.com', actor: 'dpo' });
    // Rewrite the row and point its erasure record at the new content's digest (but the seal cannot follow).
    const { contentDigest } = await import('../../src/audit/chain');
    const row = (await all('SELECT id, incident_id, seq, at, kind, details, recorded_at FROM incident_events WHERE tenant = $1 AND seq = 1', [tenant]))[0];
    await tamper(db, `UPDATE incident_events SET actor = 'mallory' WHERE id = $1`, [row.id]);
    const forged = contentDigest({ tenant, incidentId: row.incident_id, seq: row.seq, at: row.at, kind: row.kind, actor: 'mallory', details: row.details, recordedAt: row.recorded_at });
    await db.pool.query('UPDATE audit_erasures SET erased_digest = $2 WHERE tenant = $1', [tenant, forged]);
    const r = await verifyTenant(db.pool, key, tenant);
    expect(r.findings.map((f) => [f.kind, f.position])).toEqual([['edited', 1]]);
  });

  test('a subject that would match everywhere is refused with the reason', async () => {
    await expect(eraseSubject(db.pool, key, { tenant: 'x', subject: 'a', actor: 'dpo' })).rejects.toThrow('--subject: must be at least 3 characters');
    await expect(eraseSubject(db.pool, key, { tenant: 'x', subject: 'a"b\\c', actor: 'dpo' })).rejects.toThrow('must not contain quotes');
  });

  test('retention deletes the expired prefix and its incidents, the chain verifies from the checkpoint, and a later deletion still shows', async () => {
    const tenant = uniqueTenant('ret');
    const old = `${tenant}-old`;
    const live = `${tenant}-live`;
    await store.record(view(tenant, old), [ev(1, 'opened', 'alertmanager', {}), ev(2, 'notified', 'klaxon', { receiver: 'ops' }), ev(3, 'resolved', 'alertmanager', {})]);
    await db.pool.query(`INSERT INTO notifications (idempotency_key, incident_id, tenant, receiver, kind, status) VALUES ($1, $2, $3, 'ops', 'firing', 'sent')`, [`${old}/1/ops`, old, tenant]);
    await db.pool.query(`INSERT INTO notification_attempts (idempotency_key, attempt_id, incident_id, tenant, receiver, kind, attempt, at, reason, final) VALUES ($1, 'a/1', $2, $3, 'ops', 'firing', 1, now(), '503', false)`, [`${old}/1/ops`, old, tenant]);
    await db.pool.query(`INSERT INTO model_feedback (incident_id, tenant, label, actor) VALUES ($1, $2, 'noise', 'bob')`, [old, tenant]);
    await db.pool.query(
      `INSERT INTO model_classifications (incident_id, tenant, declared_severity, classified_at, mode, feature_version, features, effective_severity, enforce_severity, reason)
       VALUES ($1, $2, 'critical', now(), 'shadow', 1, '\\x00', 'critical', 'critical', 'r')`,
      [old, tenant],
    );
    const retired = await db.pool.query<{ id: string }>(
      `INSERT INTO model_versions (tenant, version, status, feature_version, iforest, autoencoder, created_at, retired_at) VALUES ($1, 1, 'retired', 1, '{}', '{}', now(), now()) RETURNING id`,
      [tenant],
    );
    await new Promise((r) => setTimeout(r, 30));
    const cutoff = new Date();
    await new Promise((r) => setTimeout(r, 30));
    await store.record(view(tenant, live), [ev(1, 'opened', 'alertmanager', {}), ev(2, 'notified', 'klaxon', { receiver: 'ops' })]);
    await db.pool.query(`INSERT INTO notifications (idempotency_key, incident_id, tenant, receiver, kind, status) VALUES ($1, $2, $3, 'ops', 'firing', 'sent')`, [`${live}/1/ops`, live, tenant]);

    // The append-only trigger refuses the same delete outside retention's path (on Postgres: PGlite
    // drops the connection on a PL/pgSQL error, see audit-chain.test.ts).
    if (own.url) await expect(db.pool.query('DELETE FROM incident_events WHERE tenant = $1', [tenant])).rejects.toThrow('append-only');

    const r = await applyRetention(db.pool, key, { tenant, retentionMs: DAY, now: new Date(cutoff.getTime() + DAY), chunk: 2 });
    expect(r).toMatchObject({ events: 3, checkpoint: 3, incidents: 1, models: 1 });
    expect(r.rows).toEqual({ notification_attempts: 1, notifications: 1, model_classifications: 1, model_feedback: 1 });
    expect(await all('SELECT id FROM incidents WHERE tenant = $1', [tenant])).toEqual([{ id: live }]);
    expect(await all('SELECT idempotency_key FROM notifications WHERE tenant = $1', [tenant])).toEqual([{ idempotency_key: `${live}/1/ops` }]);
    expect((await all('SELECT iforest, autoencoder FROM model_versions WHERE id = $1', [retired.rows[0].id]))[0]).toEqual({ iforest: null, autoencoder: null });

    expect(await verifyTenant(db.pool, key, tenant)).toMatchObject({ ok: true, rows: 2, from: 3, to: 5 });
    // The chain goes on from where it was.
    await store.record(view(tenant, live), [ev(3, 'resolved', 'alertmanager', {})]);
    expect(await verifyTenant(db.pool, key, tenant)).toMatchObject({ ok: true, rows: 3, from: 3, to: 6 });
    // Run again: nothing more has expired.
    expect(await applyRetention(db.pool, key, { tenant, retentionMs: DAY, now: new Date(cutoff.getTime() + DAY) })).toMatchObject({ events: 0, checkpoint: 3, incidents: 0 });

    // Deleting a row after the checkpoint is still a deletion; so is moving the checkpoint without the key.
    await tamper(db, 'DELETE FROM incident_events WHERE tenant = $1 AND chain_seq = 4', [tenant]);
    expect((await verifyTenant(db.pool, key, tenant)).findings).toEqual([expect.objectContaining({ kind: 'deleted', position: 4, through: 4 })]);
    const row5 = (await all('SELECT hash FROM incident_events WHERE tenant = $1 AND chain_seq = 4 + 1', [tenant]))[0];
    await db.pool.query('UPDATE audit_chain_heads SET base_seq = 5, base_hash = $2 WHERE tenant = $1', [tenant, row5.hash]);
    expect((await verifyTenant(db.pool, key, tenant)).findings[0]).toMatchObject({ kind: 'head' });
  });
});
