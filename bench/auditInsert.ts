/**
 * Cost of an audit write on the paging path: 1,000 `IncidentStore.record` calls (one new event
 * each, as the incident workflow writes them) against DATABASE_URL, else a fresh PGlite.
 * `npx tsx bench/auditInsert.ts [n]`. Prints p50/p99 and the total.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../src/store/db';
import { migrate } from '../src/store/migrate';
import { IncidentStore } from '../src/store/incidents';
import { AuditKey } from '../src/audit/key';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000);
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
    await store.record(view(id), [{ seq, at: new Date().toISOString(), kind: 'notified', actor: 'klaxon', details: { receiver: 'ops', kind: 'page', response: 'ok' } }]);
    times.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
  process.stdout.write(`${n} audit writes (${db.describe.startsWith('pglite') ? 'pglite' : 'postgres'}): total ${total.toFixed(0)} ms, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms\n`);
  await db.close();
}

void main();
