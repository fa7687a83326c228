import type pg from 'pg';
import type { IncidentHistory } from '../../models/features';
import { SYSTEM_ACTORS, type FeedbackLabel, type OutcomeFacts } from '../anomaly/labels';
import type { Severity } from '../incident/view';
import type { Queryable } from './lanes';

/**
 * The anomaly models' side of the audit store (migrations/002_models.sql): the model registry,
 * training snapshots, classifications (feature vector + model version per incident), explicit
 * feedback, and the queries that turn the audit trail into training data and reports.
 */

export type ModelStatus = 'training' | 'candidate' | 'active' | 'retired' | 'rejected' | 'failed';

export interface ModelVersionRow {
  id: number;
  tenant: string;
  version: number;
  status: ModelStatus;
  featureVersion: number;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
  dataWindow: Record<string, unknown>;
  reason: string | null;
  workflowId: string | null;
  createdAt: string;
  trainedAt: string | null;
  promotedAt: string | null;
  retiredAt: string | null;
}

export interface ModelWeights {
  id: number;
  tenant: string;
  version: number;
  featureVersion: number;
  params: Record<string, unknown>;
  dataWindow: Record<string, unknown>;
  iforest: unknown;
  autoencoder: unknown;
}

export interface TrainingSet<M = unknown> {
  rows: number;
  dim: number;
  features: Float32Array;
  alt: Float32Array | null;
  meta: M;
}

export interface ClassificationRecord {
  incidentId: string;
  tenant: string;
  declaredSeverity: Severity;
  classifiedAt: string;
  mode: string;
  modelId?: number;
  modelVersion?: number;
  featureVersion: number;
  features: Float32Array;
  score?: number;
  effectiveSeverity: Severity;
  hold: boolean;
  enforceSeverity: Severity;
  enforceHold: boolean;
  topFeatures: Array<{ name: string; weight: number }>;
  reason: string;
  alertname: string;
  service: string;
}

/** One incident of the training window, with what is needed to label it and build its vector. */
export interface TrainingIncident extends OutcomeFacts {
  id: string;
  alertname: string;
  service: string;
  labels: Record<string, string>;
  /** The vector recorded when it was classified (first classification, current feature version). */
  features: Float32Array | null;
}

export interface FeedbackRow {
  incidentId: string;
  label: FeedbackLabel;
  actor: string;
  note: string | null;
  at: string;
}

export interface ReportRow extends OutcomeFacts {
  incidentId: string;
  alertname: string;
  service: string;
  classifiedAt: string;
  mode: string;
  modelVersion: number | null;
  score: number | null;
  declaredSeverity: Severity;
  enforceSeverity: Severity;
  enforceHold: boolean;
}

const VERSION_COLUMNS = `id::int AS id, tenant, version, status, feature_version AS "featureVersion", params, metrics,
  data_window AS "dataWindow", reason, workflow_id AS "workflowId", created_at AS "createdAt", trained_at AS "trainedAt",
  promoted_at AS "promotedAt", retired_at AS "retiredAt"`;

// The facts deriveLabel (src/anomaly/labels.ts) needs, per incident (`id` is the SQL expression of
// its id, `sys` the parameter holding the system actors): first ack/snooze by a person, first
// resolution, latest feedback.
const FACTS = (id: string, sys: string) => `
  LEFT JOIN LATERAL (SELECT e.at AS acked_at, e.actor AS acked_by FROM incident_events e
    WHERE e.incident_id = ${id} AND e.kind IN ('acknowledged', 'snoozed') AND e.actor <> ALL(${sys}) ORDER BY e.seq LIMIT 1) ack ON true
  LEFT JOIN LATERAL (SELECT e.at AS resolved_at, e.actor AS resolved_by FROM incident_events e
    WHERE e.incident_id = ${id} AND e.kind = 'resolved' ORDER BY e.seq LIMIT 1) res ON true
  LEFT JOIN LATERAL (SELECT fb.label AS feedback FROM model_feedback fb
    WHERE fb.incident_id = ${id} ORDER BY fb.at DESC, fb.id DESC LIMIT 1) fb ON true`;
const FACT_COLUMNS = `i.started_at AS "startedAt", ack.acked_at AS "ackedAt", ack.acked_by AS "ackedBy",
  res.resolved_at AS "resolvedAt", res.resolved_by AS "resolvedBy", fb.feedback`;

function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}

function facts(row: Record<string, unknown>): OutcomeFacts {
  return {
    startedAt: iso(row.startedAt)!,
    ackedAt: iso(row.ackedAt),
    ackedBy: (row.ackedBy as string | null) ?? null,
    resolvedAt: iso(row.resolvedAt),
    resolvedBy: (row.resolvedBy as string | null) ?? null,
    feedback: (row.feedback as FeedbackLabel | null) ?? null,
  };
}

function versionRow(row: Record<string, unknown>): ModelVersionRow {
  return {
    ...(row as unknown as ModelVersionRow),
    createdAt: iso(row.createdAt)!,
    trainedAt: iso(row.trainedAt),
    promotedAt: iso(row.promotedAt),
    retiredAt: iso(row.retiredAt),
  };
}

export function floatsToBytes(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function bytesToFloats(b: Buffer): Float32Array {
  // Copy: a Buffer from the driver may sit at an offset that is not 4-byte aligned.
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

export class ModelStore {
  constructor(private readonly pool: Queryable) {}

  // ---- registry -------------------------------------------------------------------------------

  /**
   * A new version in status `training`, numbered after the tenant's last one. With `run` (the
   * retrain's workflow run), a retried export gets the version it already created back.
   */
  async createVersion(args: { tenant: string; featureVersion: number; params: Record<string, unknown>; workflowId?: string; run?: string }): Promise<{ id: number; version: number }> {
    if (args.run) {
      const existing = await this.pool.query(
        `SELECT id::int AS id, version FROM model_versions WHERE tenant = $1 AND status = 'training' AND params->>'run' = $2`,
        [args.tenant, args.run],
      );
      if (existing.rows[0]) {
        await this.pool.query(`UPDATE model_versions SET params = $2, feature_version = $3 WHERE id = $1`, [existing.rows[0].id, JSON.stringify({ ...args.params, run: args.run }), args.featureVersion]);
        return existing.rows[0];
      }
    }
    const params = args.run ? { ...args.params, run: args.run } : args.params;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.pool.query(
          `INSERT INTO model_versions (tenant, version, status, feature_version, params, workflow_id)
           SELECT $1, COALESCE(MAX(version), 0) + 1, 'training', $2, $3, $4 FROM model_versions WHERE tenant = $1
           RETURNING id::int AS id, version`,
          [args.tenant, args.featureVersion, JSON.stringify(params), args.workflowId ?? null],
        );
        return r.rows[0];
      } catch (err) {
        // Two retrains numbering at once: the loser takes the next number.
        if ((err as { code?: string }).code !== '23505' || attempt >= 4) throw err;
      }
    }
  }

  /**
   * Versions left in `training` for longer than `olderThanMs` belong to retrains that died without
   * cleaning up (workflow terminated): marked failed, their snapshots dropped.
   */
  async abandonStale(tenant: string, olderThanMs: number): Promise<number> {
    const r = await this.pool.query(
      `UPDATE model_versions SET status = 'failed', reason = 'abandoned: the retrain never finished'
       WHERE tenant = $1 AND status = 'training' AND created_at < now() - $2 * interval '1 millisecond' RETURNING id`,
      [tenant, olderThanMs],
    );
    if (r.rowCount) await this.pool.query(`DELETE FROM model_training_sets WHERE model_id = ANY($1::bigint[])`, [r.rows.map((x) => x.id)]);
    return r.rowCount ?? 0;
  }

  async updateVersion(
    id: number,
    patch: { status?: ModelStatus; metrics?: Record<string, unknown>; dataWindow?: Record<string, unknown>; params?: Record<string, unknown>; reason?: string | null; trained?: boolean },
  ): Promise<void> {
    await this.pool.query(
      `UPDATE model_versions SET
         status = COALESCE($2, status),
         metrics = metrics || COALESCE($3::jsonb, '{}'),
         data_window = data_window || COALESCE($4::jsonb, '{}'),
         params = params || COALESCE($5::jsonb, '{}'),
         reason = CASE WHEN $6::boolean THEN $7 ELSE reason END,
         trained_at = CASE WHEN $8::boolean THEN now() ELSE trained_at END
       WHERE id = $1`,
      [
        id,
        patch.status ?? null,
        patch.metrics ? JSON.stringify(patch.metrics) : null,
        patch.dataWindow ? JSON.stringify(patch.dataWindow) : null,
        patch.params ? JSON.stringify(patch.params) : null,
        patch.reason !== undefined,
        patch.reason ?? null,
        patch.trained === true,
      ],
    );
  }

  async saveWeights(id: number, kind: 'iforest' | 'autoencoder', weights: unknown): Promise<void> {
    await this.pool.query(`UPDATE model_versions SET ${kind === 'iforest' ? 'iforest' : 'autoencoder'} = $2 WHERE id = $1`, [id, JSON.stringify(weights)]);
  }

  async getVersion(id: number): Promise<ModelVersionRow | undefined> {
    const r = await this.pool.query(`SELECT ${VERSION_COLUMNS} FROM model_versions WHERE id = $1`, [id]);
    return r.rows[0] ? versionRow(r.rows[0]) : undefined;
  }

  async activeVersion(tenant: string): Promise<ModelVersionRow | undefined> {
    const r = await this.pool.query(`SELECT ${VERSION_COLUMNS} FROM model_versions WHERE tenant = $1 AND status = 'active'`, [tenant]);
    return r.rows[0] ? versionRow(r.rows[0]) : undefined;
  }

  /** Newest first, without weights. */
  async list(tenant: string, limit = 50): Promise<ModelVersionRow[]> {
    const r = await this.pool.query(`SELECT ${VERSION_COLUMNS} FROM model_versions WHERE tenant = $1 ORDER BY version DESC LIMIT $2`, [tenant, limit]);
    return r.rows.map(versionRow);
  }

  async loadWeights(id: number): Promise<ModelWeights | undefined> {
    const r = await this.pool.query(
      `SELECT id::int AS id, tenant, version, feature_version AS "featureVersion", params, data_window AS "dataWindow", iforest, autoencoder
       FROM model_versions WHERE id = $1`,
      [id],
    );
    return r.rows[0];
  }

  /**
   * Makes `id` the tenant's active version and retires the previous one, in one transaction, but
   * only if the active version is still `expectedActive` (what the candidate was compared with).
   * Idempotent: promoting the already active version succeeds.
   */
  async promote(id: number, expectedActive: number | null): Promise<{ ok: true; retired: number | null } | { ok: false; reason: string }> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const me = await client.query(`SELECT tenant, status FROM model_versions WHERE id = $1 FOR UPDATE`, [id]);
      if (!me.rows[0]) throw new Error(`no model version ${id}`);
      const { tenant, status } = me.rows[0] as { tenant: string; status: ModelStatus };
      if (status === 'active') {
        await client.query('COMMIT');
        return { ok: true, retired: null };
      }
      if (status !== 'candidate') {
        await client.query('ROLLBACK');
        return { ok: false, reason: `version is ${status}, not a candidate` };
      }
      const active = await client.query(`SELECT id::int AS id FROM model_versions WHERE tenant = $1 AND status = 'active' FOR UPDATE`, [tenant]);
      const current: number | null = active.rows[0]?.id ?? null;
      if (current !== expectedActive) {
        await client.query('ROLLBACK');
        return { ok: false, reason: `the active model changed during evaluation (now ${current ?? 'none'}, compared with ${expectedActive ?? 'none'})` };
      }
      if (current !== null) await client.query(`UPDATE model_versions SET status = 'retired', retired_at = now() WHERE id = $1`, [current]);
      await client.query(`UPDATE model_versions SET status = 'active', promoted_at = now() WHERE id = $1`, [id]);
      await client.query('COMMIT');
      return { ok: true, retired: current };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  // ---- training snapshots ---------------------------------------------------------------------

  async saveTrainingSet(id: number, set: TrainingSet): Promise<void> {
    await this.pool.query(
      `INSERT INTO model_training_sets (model_id, rows, dim, features, alt, meta) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (model_id) DO UPDATE SET rows = EXCLUDED.rows, dim = EXCLUDED.dim, features = EXCLUDED.features, alt = EXCLUDED.alt, meta = EXCLUDED.meta`,
      [id, set.rows, set.dim, floatsToBytes(set.features), set.alt ? floatsToBytes(set.alt) : null, JSON.stringify(set.meta)],
    );
  }

  async loadTrainingSet<M>(id: number): Promise<TrainingSet<M> | undefined> {
    const r = await this.pool.query(`SELECT rows, dim, features, alt, meta FROM model_training_sets WHERE model_id = $1`, [id]);
    const row = r.rows[0];
    return row ? { rows: row.rows, dim: row.dim, features: bytesToFloats(row.features), alt: row.alt ? bytesToFloats(row.alt) : null, meta: row.meta } : undefined;
  }

  async deleteTrainingSet(id: number): Promise<void> {
    await this.pool.query(`DELETE FROM model_training_sets WHERE model_id = $1`, [id]);
  }

  // ---- classification -------------------------------------------------------------------------

  /**
   * Everything classify reads, in one round trip: the history counts for the feature vector (see
   * src/anomaly/vector.ts for the definitions) and the id of the tenant's active model, so a
   * promoted model is noticed on the very next call at no extra cost.
   */
  async classifyContext(args: { tenant: string; incidentId: string; alertname: string; labels: Record<string, string>; at: string }): Promise<{ history: IncidentHistory; activeModelId: number | null }> {
    const r = await this.pool.query(
      `SELECT
         count(*) FILTER (WHERE started_at > $3::timestamptz - interval '1 hour') AS h1,
         count(*) FILTER (WHERE started_at > $3::timestamptz - interval '1 day') AS h24,
         count(*) FILTER (WHERE started_at > $3::timestamptz - interval '1 day' AND labels = $5::jsonb) AS flaps,
         EXTRACT(EPOCH FROM ($3::timestamptz - max(started_at)))::float8 AS since,
         (SELECT id::int FROM model_versions WHERE tenant = $1 AND status = 'active') AS active
       FROM incidents
       WHERE tenant = $1 AND alertname = $2 AND started_at > $3::timestamptz - interval '7 days' AND started_at < $3::timestamptz AND id <> $4`,
      [args.tenant, args.alertname, args.at, args.incidentId, JSON.stringify(args.labels)],
    );
    const row = r.rows[0];
    return {
      history: {
        sameAlertname1h: Number(row.h1),
        sameAlertname24h: Number(row.h24),
        flaps24h: Number(row.flaps),
        secondsSinceLastSameAlertname: row.since === null ? null : Number(row.since),
      },
      activeModelId: row.active ?? null,
    };
  }

  async recordClassification(c: ClassificationRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO model_classifications (incident_id, tenant, declared_severity, classified_at, mode, model_id, model_version,
         feature_version, features, score, effective_severity, hold, enforce_severity, enforce_hold, top_features, reason, alertname, service)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)
       ON CONFLICT (incident_id, declared_severity) DO UPDATE SET classified_at = EXCLUDED.classified_at, mode = EXCLUDED.mode,
         model_id = EXCLUDED.model_id, model_version = EXCLUDED.model_version, feature_version = EXCLUDED.feature_version,
         features = EXCLUDED.features, score = EXCLUDED.score, effective_severity = EXCLUDED.effective_severity, hold = EXCLUDED.hold,
         enforce_severity = EXCLUDED.enforce_severity, enforce_hold = EXCLUDED.enforce_hold, top_features = EXCLUDED.top_features,
         reason = EXCLUDED.reason`,
      [
        c.incidentId, c.tenant, c.declaredSeverity, c.classifiedAt, c.mode, c.modelId ?? null, c.modelVersion ?? null,
        c.featureVersion, floatsToBytes(c.features), c.score ?? null, c.effectiveSeverity, c.hold, c.enforceSeverity, c.enforceHold,
        JSON.stringify(c.topFeatures), c.reason, c.alertname, c.service,
      ],
    );
  }

  async classifications(incidentId: string): Promise<Array<Omit<ClassificationRecord, 'features'> & { features: Float32Array }>> {
    const r = await this.pool.query(
      `SELECT incident_id AS "incidentId", tenant, declared_severity AS "declaredSeverity", classified_at AS "classifiedAt", mode,
         model_id::int AS "modelId", model_version AS "modelVersion", feature_version AS "featureVersion", features, score,
         effective_severity AS "effectiveSeverity", hold, enforce_severity AS "enforceSeverity", enforce_hold AS "enforceHold",
         top_features AS "topFeatures", reason, alertname, service
       FROM model_classifications WHERE incident_id = $1 ORDER BY classified_at`,
      [incidentId],
    );
    return r.rows.map((row) => ({ ...row, classifiedAt: iso(row.classifiedAt)!, features: bytesToFloats(row.features) }));
  }

  // ---- feedback -------------------------------------------------------------------------------

  async addFeedback(f: { incidentId: string; tenant: string; label: FeedbackLabel; actor: string; note?: string }): Promise<FeedbackRow> {
    const r = await this.pool.query(
      `INSERT INTO model_feedback (incident_id, tenant, label, actor, note) VALUES ($1, $2, $3, $4, $5)
       RETURNING incident_id AS "incidentId", label, actor, note, at`,
      [f.incidentId, f.tenant, f.label, f.actor, f.note ?? null],
    );
    return { ...r.rows[0], at: iso(r.rows[0].at)! };
  }

  // ---- outcomes and training data -------------------------------------------------------------

  /**
   * One page of the training window [from, to), oldest first, keyset-paginated on (started_at, id):
   * each incident's outcome facts and, when it was classified under `featureVersion`, its vector.
   */
  async trainingIncidents(args: {
    tenant: string;
    from: string;
    to: string;
    featureVersion: number;
    after?: { startedAt: string; id: string };
    limit: number;
  }): Promise<TrainingIncident[]> {
    const r = await this.pool.query(
      `SELECT i.id, i.alertname, i.service, i.labels, ${FACT_COLUMNS}, c.features
       FROM incidents i ${FACTS('i.id', '$7::text[]')}
       LEFT JOIN LATERAL (SELECT c.features FROM model_classifications c
         WHERE c.incident_id = i.id AND c.feature_version = $4 ORDER BY c.classified_at LIMIT 1) c ON true
       WHERE i.tenant = $1 AND i.started_at >= $2 AND i.started_at < $3
         AND (i.started_at, i.id) > ($5::timestamptz, $6::text)
       ORDER BY i.started_at, i.id
       LIMIT $8`,
      [args.tenant, args.from, args.to, args.featureVersion, args.after?.startedAt ?? '-infinity', args.after?.id ?? '', [...SYSTEM_ACTORS], args.limit],
    );
    return r.rows.map((row) => ({
      id: row.id,
      alertname: row.alertname,
      service: row.service,
      labels: row.labels,
      ...facts(row),
      features: row.features ? bytesToFloats(row.features) : null,
    }));
  }

  /** Start times of the tenant's incidents in [from, to), for the history counts of reconstructed vectors. */
  async incidentStarts(args: { tenant: string; from: string; to: string }): Promise<Array<{ alertname: string; labels: Record<string, string>; startedAt: number }>> {
    const r = await this.pool.query(
      `SELECT alertname, labels, (EXTRACT(EPOCH FROM started_at) * 1000)::float8 AS t FROM incidents
       WHERE tenant = $1 AND started_at >= $2 AND started_at < $3`,
      [args.tenant, args.from, args.to],
    );
    return r.rows.map((row) => ({ alertname: row.alertname, labels: row.labels, startedAt: Number(row.t) }));
  }

  /**
   * How many incidents in [from, to) have a label (the cold-start gate). Mirrors deriveLabel in
   * SQL so a tenant with a large unlabelled history is counted without reading it.
   */
  async countLabelled(args: { tenant: string; from: string; to: string; transientWithinMs: number }): Promise<number> {
    const r = await this.pool.query(
      `SELECT count(*) AS n FROM incidents i ${FACTS('i.id', '$4::text[]')}
       WHERE i.tenant = $1 AND i.started_at >= $2 AND i.started_at < $3
         AND (fb.feedback IS NOT NULL
           OR ack.acked_at IS NOT NULL
           OR (res.resolved_at IS NOT NULL AND res.resolved_by = ANY($4::text[])
               AND res.resolved_at >= i.started_at AND res.resolved_at - i.started_at <= $5 * interval '1 millisecond'))`,
      [args.tenant, args.from, args.to, [...SYSTEM_ACTORS], args.transientWithinMs],
    );
    return Number(r.rows[0].n);
  }

  /** Outcome facts of the pattern's recent incidents (newest first), for the enforce noise rule. */
  async patternFacts(args: { tenant: string; alertname: string; service: string; since: string; before: string; excludeId: string; limit?: number }): Promise<OutcomeFacts[]> {
    const r = await this.pool.query(
      `SELECT ${FACT_COLUMNS} FROM incidents i ${FACTS('i.id', '$7::text[]')}
       WHERE i.tenant = $1 AND i.alertname = $2 AND i.service = $3 AND i.started_at >= $4 AND i.started_at < $5 AND i.id <> $6
       ORDER BY i.started_at DESC LIMIT $8`,
      [args.tenant, args.alertname, args.service, args.since, args.before, args.excludeId, [...SYSTEM_ACTORS], args.limit ?? 500],
    );
    return r.rows.map(facts);
  }

  /** The first classification of each incident classified since `since`, with its outcome facts. */
  async reportRows(args: { tenant: string; since: string }): Promise<ReportRow[]> {
    const r = await this.pool.query(
      `SELECT c.incident_id AS "incidentId", c.alertname, c.service, c.classified_at AS "classifiedAt", c.mode,
         c.model_version AS "modelVersion", c.score, c.declared_severity AS "declaredSeverity",
         c.enforce_severity AS "enforceSeverity", c.enforce_hold AS "enforceHold",
         COALESCE(i.started_at, c.classified_at) AS "startedAt", ack.acked_at AS "ackedAt", ack.acked_by AS "ackedBy",
         res.resolved_at AS "resolvedAt", res.resolved_by AS "resolvedBy", fb.feedback
       FROM (SELECT DISTINCT ON (incident_id) * FROM model_classifications
             WHERE tenant = $1 AND classified_at >= $2 ORDER BY incident_id, classified_at) c
       LEFT JOIN incidents i ON i.id = c.incident_id
       ${FACTS('c.incident_id', '$3::text[]')}
       ORDER BY c.classified_at`,
      [args.tenant, args.since, [...SYSTEM_ACTORS]],
    );
    return r.rows.map((row) => ({
      incidentId: row.incidentId,
      alertname: row.alertname,
      service: row.service,
      classifiedAt: iso(row.classifiedAt)!,
      mode: row.mode,
      modelVersion: row.modelVersion,
      score: row.score,
      declaredSeverity: row.declaredSeverity,
      enforceSeverity: row.enforceSeverity,
      enforceHold: row.enforceHold,
      ...facts(row),
    }));
  }
}
