import type { Queryable } from '../store/lanes';
import { inTransaction, lockHead, saveHead } from './chain';
import type { AuditKey } from './key';

/**
 * Retention (tenant `retention: 400d`): what is older than that goes, daily (workflows/retention.ts).
 *
 * The audit chain loses a prefix: every link up to the last position P before the first row
 * recorded within the retention (so a row is only deleted when all rows before it are too, and the
 * chain stays one unbroken line from P on). P and its hash become the chain head's checkpoint, under
 * the head's seal: verify starts there, and a row deleted past it, or a checkpoint moved without
 * the key, still shows. Then every incident with no event left and no change within the retention
 * goes with its notification ledger, delivery tries, classifications, feedback, runbook runs and
 * used links; retired (or rejected, failed) model versions older than the retention lose their
 * weights and training sets (the registry row stays: its metrics hold no personal data).
 *
 * Runs in chunks of `chunk` chain positions per transaction, so a first run over years of rows
 * does not hold the tenant's chain lock (and the paging path's audit writes) for long.
 */

export interface RetentionResult {
  events: number;
  checkpoint: number;
  incidents: number;
  rows: Record<string, number>;
  models: number;
}

export async function applyRetention(pool: Queryable, key: AuditKey, args: { tenant: string; retentionMs: number; now?: Date; chunk?: number }): Promise<RetentionResult> {
  const { tenant } = args;
  const cutoff = new Date((args.now ?? new Date()).getTime() - args.retentionMs);
  const chunk = args.chunk ?? 10_000;
  const result: RetentionResult = { events: 0, checkpoint: 0, incidents: 0, rows: {}, models: 0 };
  for (;;) {
    const done = await inTransaction(pool, async (client) => {
      const head = await lockHead(client, key, tenant);
      const first = await client.query<{ n: string | null }>('SELECT min(chain_seq) AS n FROM incident_events WHERE tenant = $1 AND chain_seq IS NOT NULL AND recorded_at >= $2', [tenant, cutoff]);
      const keepFrom = first.rows[0].n === null ? head.lastSeq + 1 : Number(first.rows[0].n);
      const upTo = Math.min(keepFrom - 1, head.baseSeq + chunk);
      result.checkpoint = head.baseSeq;
      if (upTo <= head.baseSeq) return true;
      const last = await client.query<{ hash: Buffer }>('SELECT hash FROM incident_events WHERE tenant = $1 AND chain_seq = $2', [tenant, upTo]);
      if (!last.rows[0]) throw new Error(`audit chain of tenant ${tenant} has no row at position ${upTo}: run \`klaxon audit verify --tenant ${tenant}\` before retention deletes anything`);
      await client.query("SET LOCAL klaxon.audit_write = 'retention'");
      const d = await client.query('DELETE FROM incident_events WHERE tenant = $1 AND chain_seq <= $2', [tenant, upTo]);
      await client.query('DELETE FROM audit_erasures WHERE tenant = $1 AND chain_seq <= $2', [tenant, upTo]);
      await saveHead(client, key, { ...head, baseSeq: upTo, baseHash: last.rows[0].hash });
      result.events += d.rowCount ?? 0;
      result.checkpoint = upTo;
      return upTo >= keepFrom - 1;
    });
    if (done) break;
  }

  await inTransaction(pool, async (client) => {
    const ids = (
      await client.query<{ id: string }>(
        `SELECT id FROM incidents i WHERE tenant = $1 AND updated_at < $2 AND started_at < $2
           AND NOT EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id)`,
        [tenant, cutoff],
      )
    ).rows.map((r) => r.id);
    if (ids.length) {
      // Children first: incident_events and model_feedback reference incidents.
      for (const table of ['notification_attempts', 'notifications', 'model_classifications', 'model_feedback', 'runbook_events', 'runbook_runs', 'used_links']) {
        const r = await client.query(`DELETE FROM ${table} WHERE incident_id = ANY($1)`, [ids]);
        if (r.rowCount) result.rows[table] = r.rowCount;
      }
      const r = await client.query('DELETE FROM incidents WHERE id = ANY($1)', [ids]);
      result.incidents = r.rowCount ?? 0;
    }
    const models = await client.query<{ id: string }>(
      `UPDATE model_versions SET iforest = NULL, autoencoder = NULL
        WHERE tenant = $1 AND status IN ('retired', 'rejected', 'failed') AND COALESCE(retired_at, trained_at, created_at) < $2
          AND (iforest IS NOT NULL OR autoencoder IS NOT NULL) RETURNING id`,
      [tenant, cutoff],
    );
    await client.query(
      `DELETE FROM model_training_sets s USING model_versions v
        WHERE s.model_id = v.id AND v.tenant = $1 AND v.status IN ('retired', 'rejected', 'failed') AND COALESCE(v.retired_at, v.trained_at, v.created_at) < $2`,
      [tenant, cutoff],
    );
    result.models = models.rowCount ?? 0;
  });
  return result;
}
