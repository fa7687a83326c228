import type { Queryable } from '../../../src/store/lanes';
import { mulberry32, type Rng } from '../../../models/prng';
import { appendEvents } from '../../../src/audit/chain';
import { testAudit } from '../../support/audit';

/**
 * A tenant's incident history written straight into the audit store (incidents, incident_events,
 * model_feedback), from a seeded generator, so retraining has something realistic to learn from:
 *
 * - CPUThrottling (api), frequent, resolved by Alertmanager within minutes, never acked → transient;
 * - HeartbeatMissing (batch), frequent, info, same → transient;
 * - DiskFull (db), acked by a person after a few minutes → actionable;
 * - one-off alerts (a different alertname each time) acked by a person → actionable;
 * - LatencyHigh (web), resolved by Alertmanager after two hours without an ack → unlabelled;
 * - some explicit feedback: a few CPUThrottling marked noise, a few LatencyHigh marked actionable.
 *
 * Rare alerts are the actionable ones, as on a real pager: a good anomaly score ranks them first.
 */
export interface SyntheticIncident {
  id: string;
  alertname: string;
  service: string;
  severity: 'info' | 'warning' | 'critical';
  startedAt: Date;
  outcome: 'transient' | 'actionable' | 'unlabelled';
  feedback?: 'noise' | 'actionable';
}

const MIN = 60_000;

function pick<T>(rng: Rng, weighted: Array<[T, number]>): T {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let x = rng() * total;
  for (const [v, w] of weighted) if ((x -= w) < 0) return v;
  return weighted[weighted.length - 1][0];
}

export function syntheticIncidents(opts: { tenant: string; n: number; days: number; seed: number; now?: number }): SyntheticIncident[] {
  const rng = mulberry32(opts.seed);
  const now = opts.now ?? Date.now();
  const out: SyntheticIncident[] = [];
  for (let i = 0; i < opts.n; i++) {
    // Leave the last hour empty so every outcome has happened by "now".
    const startedAt = new Date(now - 3_600_000 - rng() * opts.days * 86_400_000);
    const kind = pick(rng, [
      ['cpu', 38],
      ['heartbeat', 20],
      ['disk', 14],
      ['rare', 16],
      ['latency', 12],
    ] as Array<[string, number]>);
    const id = `${opts.tenant}-syn-${String(i).padStart(4, '0')}`;
    const base = { id, startedAt };
    switch (kind) {
      case 'cpu':
        out.push({ ...base, alertname: 'CPUThrottling', service: 'api', severity: 'warning', outcome: 'transient', ...(rng() < 0.1 ? { feedback: 'noise' as const } : {}) });
        break;
      case 'heartbeat':
        out.push({ ...base, alertname: 'HeartbeatMissing', service: 'batch', severity: 'info', outcome: 'transient' });
        break;
      case 'disk':
        out.push({ ...base, alertname: 'DiskFull', service: 'db', severity: 'critical', outcome: 'actionable' });
        break;
      case 'rare':
        out.push({ ...base, alertname: `Rare${i}`, service: `svc${i % 7}`, severity: 'critical', outcome: 'actionable' });
        break;
      default:
        out.push({ ...base, alertname: 'LatencyHigh', service: 'web', severity: 'warning', outcome: 'unlabelled', ...(rng() < 0.25 ? { feedback: 'actionable' as const } : {}) });
    }
  }
  return out.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
}

/** Writes the incidents with their timelines (opened, acknowledged by a person or not, resolved) and feedback. */
export async function insertHistory(pool: Queryable, tenant: string, incidents: SyntheticIncident[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const inc of incidents) {
      const t0 = inc.startedAt.getTime();
      const labels = { alertname: inc.alertname, service: inc.service, severity: inc.severity };
      const events: Array<{ at: number; kind: string; actor: string }> = [{ at: t0, kind: 'opened', actor: 'alertmanager' }];
      let ackedAt: number | null = null;
      let resolvedAt: number;
      if (inc.outcome === 'transient') {
        resolvedAt = t0 + (2 + (t0 % 8)) * MIN;
        events.push({ at: resolvedAt, kind: 'resolved', actor: 'alertmanager' });
      } else if (inc.outcome === 'actionable') {
        ackedAt = t0 + 4 * MIN;
        resolvedAt = t0 + 40 * MIN;
        events.push({ at: ackedAt, kind: 'acknowledged', actor: 'alice' }, { at: resolvedAt, kind: 'resolved', actor: 'alice' });
      } else {
        resolvedAt = t0 + 120 * MIN;
        events.push({ at: resolvedAt, kind: 'resolved', actor: 'alertmanager' });
      }
      await client.query(
        `INSERT INTO incidents (id, tenant, workflow_id, run_id, group_key, title, alertname, service, severity, declared_severity,
           status, labels, started_at, acknowledged_at, acknowledged_by, resolved_at)
         VALUES ($1,$2,$3,'run',$4,$5,$6,$7,$8,$8,'resolved',$9,$10,$11,$12,$13)`,
        [
          inc.id, tenant, `incident/${tenant}/${inc.id}`, `{}:{id="${inc.id}"}`, inc.alertname, inc.alertname, inc.service, inc.severity,
          JSON.stringify(labels), inc.startedAt.toISOString(), ackedAt ? new Date(ackedAt).toISOString() : null, ackedAt ? 'alice' : null,
          new Date(resolvedAt).toISOString(),
        ],
      );
      // Through the audit chain, as Klaxon writes them: the suite's rows must pass `klaxon audit verify`.
      await appendEvents(client, testAudit().key, tenant, events.map((e, seq) => ({ incidentId: inc.id, seq: seq + 1, at: new Date(e.at).toISOString(), kind: e.kind, actor: e.actor, details: {} })));
      if (inc.feedback) {
        await client.query(`INSERT INTO model_feedback (incident_id, tenant, label, actor, at) VALUES ($1,$2,$3,'bob',$4)`, [inc.id, tenant, inc.feedback, new Date(resolvedAt + MIN).toISOString()]);
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

/** The label each synthetic incident should get (what deriveLabel must agree with). */
export function expectedLabel(inc: SyntheticIncident): 0 | 1 | -1 {
  if (inc.feedback) return inc.feedback === 'actionable' ? 1 : 0;
  if (inc.outcome === 'actionable') return 1;
  if (inc.outcome === 'transient') return 0;
  return -1;
}
