import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { IncidentStore, type StoredEvent } from '../../src/store/incidents';
import { createAuditActivity } from '../../activities/audit';
import { ConfigStore } from '../../src/config/store';
import { collectOpenIncidents } from '../../src/store/openIncidents';
import { createLogger } from '../../src/logger';
import type { IncidentView } from '../../src/incident/view';
import { register } from '../../src/metrics';
import { opsTenantYaml, testConfig, uniqueTenant, testAudit } from '../support/klaxon';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const ev = (seq: number, ms: number, kind: string, details: Record<string, unknown> = {}): StoredEvent => ({ seq, at: at(ms), kind, actor: 'klaxon', details });

function view(id: string, tenant: string, status: IncidentView['status'] = 'firing'): IncidentView & { groupKey: string } {
  return {
    id, tenant, groupKey: `g-${id}`, workflowId: `wf-${id}`, runId: 'run', title: 'Metrics', status, severity: 'critical', declaredSeverity: 'critical',
    alertname: 'Metrics', service: 'api', startedAt: at(0), commonLabels: { alertname: 'Metrics' }, alerts: [],
    links: { workflow: 'http://ui', incident: 'http://klaxon' }, timeline: [],
  };
}

/** The value of one series of a metric, as /metrics would show it (0 when absent). */
async function value(name: string, labels: Record<string, string>): Promise<number> {
  const base = name.replace(/_(count|sum)$/, '');
  const metric = register.getSingleMetric(base) ?? register.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const hit = values.find((v) => ((v as { metricName?: string }).metricName ?? base) === name && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return hit?.value ?? 0;
}

describe('metrics that follow the audit rows', () => {
  let db: Database;
  let incidents: IncidentStore;
  const tenant = uniqueTenant('met');
  let record: ReturnType<typeof createAuditActivity>;

  beforeAll(async () => {
    db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'klaxon-metrics-')) });
    await migrate(db.pool);
    incidents = new IncidentStore(db.pool, testAudit());
    record = createAuditActivity({ incidents, config: new ConfigStore(testConfig(opsTenantYaml(tenant), { HOOK: 'h', API: 'a', URL: 'http://127.0.0.1:1/x' })) });
  });
  afterAll(async () => db?.close());

  test('a retried audit write counts its events, the ack time and the resolve time once', async () => {
    const id = randomUUID();
    const events = [ev(1, 0, 'opened'), ev(2, 1000, 'notified'), ev(3, 90_000, 'acknowledged'), ev(4, 600_000, 'resolved')];
    const before = await value('klaxon_escalation_events_total', { tenant, kind: 'notified' });
    await record({ incident: view(id, tenant, 'resolved'), events });
    // The activity's retry (its first completion was lost): the same rows again.
    await record({ incident: view(id, tenant, 'resolved'), events });
    expect((await value('klaxon_escalation_events_total', { tenant, kind: 'notified' })) - before).toBe(1);
    expect(await value('klaxon_time_to_ack_seconds_count', { tenant, tier: 'standard' })).toBe(1);
    expect(await value('klaxon_time_to_ack_seconds_sum', { tenant, tier: 'standard' })).toBe(90);
    expect(await value('klaxon_time_to_resolve_seconds_sum', { tenant, tier: 'standard' })).toBe(600);
  });

  test('a second acknowledgement (after an unack) is not a time to ack', async () => {
    const t2 = uniqueTenant('met2');
    const id = randomUUID();
    await record({ incident: view(id, t2), events: [ev(1, 0, 'opened'), ev(2, 30_000, 'acknowledged')] });
    await record({ incident: view(id, t2), events: [ev(3, 60_000, 'unacknowledged'), ev(4, 120_000, 'acknowledged')] });
    expect(await value('klaxon_time_to_ack_seconds_count', { tenant: t2, tier: 'standard' })).toBe(1);
    expect(await value('klaxon_time_to_ack_seconds_sum', { tenant: t2, tier: 'standard' })).toBe(30);
    expect(await value('klaxon_escalation_events_total', { tenant: t2, kind: 'acknowledged' })).toBe(2);
  });

  test('open incidents are read from the store on scrape; a status that empties reads 0', async () => {
    const t3 = uniqueTenant('met3');
    const [a, b] = [randomUUID(), randomUUID()];
    await incidents.record(view(a, t3), [ev(1, 0, 'opened')]);
    await incidents.record(view(b, t3), [ev(1, 0, 'opened')]);
    const stop = collectOpenIncidents(db.pool, createLogger({ level: 'silent' }), { cacheMs: 0 });
    try {
      const open = async () => {
        await register.metrics();
        return value('klaxon_incidents_open', { tenant: t3, severity: 'critical', status: 'firing' });
      };
      expect(await open()).toBe(2);
      await incidents.record(view(a, t3, 'resolved'), [ev(2, 5000, 'resolved')]);
      await incidents.record(view(b, t3, 'resolved'), [ev(2, 5000, 'resolved')]);
      expect(await open()).toBe(0);
      expect(await value('klaxon_audit_store_up', {})).toBe(1);
    } finally {
      stop();
    }
  });
});

describe('events written from outside the workflow', () => {
  test('concurrent refusals of one incident each get their own number (none is lost, none is a 500)', async () => {
    const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'klaxon-ext-')) });
    try {
      await migrate(db.pool);
      const incidents = new IncidentStore(db.pool, testAudit());
      const tenant = uniqueTenant('ext');
      const id = randomUUID();
      await incidents.record(view(id, tenant, 'resolved'), [ev(1, 0, 'opened'), ev(2, 1000, 'resolved')]);
      await Promise.all(Array.from({ length: 12 }, (_, i) => incidents.appendExternal(id, tenant, { kind: 'action.rejected', actor: `u${i}`, details: {} })));
      const rejected = (await incidents.timeline(id)).filter((e) => e.kind === 'action.rejected');
      expect(rejected).toHaveLength(12);
      expect(new Set(rejected.map((e) => e.seq)).size).toBe(12);
    } finally {
      await db.close();
    }
  });
});
