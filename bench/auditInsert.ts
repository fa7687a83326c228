/**
 * Cost of an audit write on the paging path: 1,000 `IncidentStore.record` calls (one new event
 * each, as the incident workflow writes them) against DATABASE_URL, else a fresh PGlite.
 * `npx tsx bench/auditInsert.ts [n] [--plain]`. Prints p50/p99 and the total. Plain rows are unchained:
 * run it against a scratch database (or PGlite), not one `klaxon audit verify` checks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../src/store/db';
import { migrate } from '../src/store/migrate';
import { IncidentStore } from '../src/store/incidents';
import { AuditKey } from '../src/audit/key';
import type { Queryable } from '../src/store/lanes';

async function main(): Promise<void> {
  const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1000);
  // --plain: the statements a write made before the chain (upsert the incident, insert the event).
  const plain = process.argv.includes('--plain');
  const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'klaxon-bench-audit-')) });
  await migrate(db.pool);
  const store = new IncidentStore(db.pool, { key: new AuditKey('bench-audit-key-0123456789abcdef0123', 'bench') });
  const tenant = `bench-${randomUUID().slice(0, 8)}`;
  const incidents = Array.from({ length: 10 }, (_, i) => `${tenant}-inc-${i}`);
  const view = (id: string) => ({
    id, tenant, workflowId: `incident/${tenant}/${id}`, runId: 'run', groupKey: id, title: 'Bench', alertname: 'Bench', service: 'svc',
    severity: 'critical', declaredSeverity: 'critical', status: 'firing', commonLabels: { alertname: 'Bench' }, startedAt: new Date().toISOString(),
    timeline: [],
  }) as never;
  const times: number[] = [];
  const seqs = new Map<string, number>();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = incidents[i % incidents.length];
    const seq = (seqs.get(id) ?? 0) + 1;
    seqs.set(id, seq);
    const s = performance.now();
    const e = { seq, at: new Date().toISOString(), kind: 'notified', actor: 'klaxon', details: { receiver: 'ops', kind: 'page', response: 'ok' } };
    if (plain) await plainRecord(db.pool, tenant, id, e);
    else await store.record(view(id), [e]);
    times.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
  process.stdout.write(`${n} audit writes (${db.describe.startsWith('pglite') ? 'pglite' : 'postgres'}${plain ? ', plain' : ', chained'}): total ${total.toFixed(0)} ms, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms\n`);
  await db.close();
}

async function plainRecord(pool: Queryable, tenant: string, id: string, e: { seq: number; at: string; kind: string; actor: string; details: object }): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO incidents (id, tenant, workflow_id, run_id, group_key, title, severity, declared_severity, status, labels, started_at, updated_at)
       VALUES ($1,$2,$3,'run',$1,'Bench','critical','critical','firing','{}', now(), now())
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()`,
      [id, tenant, `incident/${tenant}/${id}`],
    );
    await client.query(
      `INSERT INTO incident_events (incident_id, tenant, seq, at, kind, actor, details) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (incident_id, seq) DO NOTHING`,
      [id, tenant, e.seq, e.at, e.kind, e.actor, JSON.stringify(e.details)],
    );
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

void main();
