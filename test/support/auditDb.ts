import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';

/**
 * A store of the test's own, for tests that tamper with the audit trail: on Postgres a fresh
 * database beside DATABASE_URL's (dropped afterwards), so the rows they break never reach the
 * `test` database that CI runs `klaxon audit verify` over; else a fresh PGlite. `postgres`: a
 * Postgres to use whatever DATABASE_URL says (a test of a Postgres-only feature).
 */
export async function ownAuditDatabase(opts: { postgres?: string } = {}): Promise<{ db: Database; url?: string; drop(): Promise<void> }> {
  const base = opts.postgres ?? process.env.DATABASE_URL;
  if (!base) {
    const db = await openDatabase({ dataDir: mkdtempSync(join(tmpdir(), 'klaxon-audit-')) });
    await migrate(db.pool);
    return { db, drop: () => db.close() };
  }
  const name = `klaxon_audit_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = await openDatabase({ url, dataDir: tmpdir() });
  await migrate(db.pool);
  return {
    db,
    url,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Runs `sql` as the superuser with the append-only trigger off, as an attacker with database access would. */
export async function tamper(db: Database, sql: string, params: unknown[] = []): Promise<void> {
  const client = await db.pool.connect();
  try {
    await client.query('ALTER TABLE incident_events DISABLE TRIGGER incident_events_no_change');
    await client.query(sql, params);
  } finally {
    await client.query('ALTER TABLE incident_events ENABLE TRIGGER incident_events_no_change');
    client.release();
  }
}

/** A minimal incident summary for writing audit rows directly (tests of the chain, erasure, retention). */
export function incidentView(tenant: string, id: string, title = 'Disk full') {
  return {
    id, tenant, workflowId: `incident/${tenant}/${id}`, runId: 'run', groupKey: id, title, alertname: 'DiskFull', service: 'db',
    severity: 'critical', declaredSeverity: 'critical', status: 'firing', commonLabels: { alertname: 'DiskFull' }, startedAt: new Date().toISOString(), timeline: [],
  } as never;
}
