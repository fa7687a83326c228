import { coalesced } from './coalesce';
import { ENDED_CHANNEL, endedPayload } from './endedFeed';
import type pg from 'pg';
import type { IncidentStatus, IncidentView, TimelineEntry } from '../incident/view';
import type { Queryable } from './lanes';
import { appendEvents, inTransaction, type NewEvent } from '../audit/chain';
import type { AuditKey } from '../audit/key';
import type { Redactor } from '../audit/redact';

export interface IncidentRow {
  id: string;
  tenant: string;
  workflowId: string;
  runId: string;
  groupKey: string;
  title: string;
  alertname: string;
  service: string;
  severity: string;
  declaredSeverity: string;
  status: IncidentStatus;
  labels: Record<string, string>;
  startedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  updatedAt: string;
}

export interface StoredEvent extends TimelineEntry {
  seq: number;
}

/** An event `record` actually inserted (not one a retry found already there). */
export interface InsertedEvent extends StoredEvent {
  /** For `acknowledged`: no earlier acknowledgement of this incident is stored (time to ack counts the first). */
  first?: boolean;
}

const COLUMNS = `id, tenant, workflow_id AS "workflowId", run_id AS "runId", group_key AS "groupKey", title, alertname,
  service, severity, declared_severity AS "declaredSeverity", status, labels, started_at AS "startedAt",
  acknowledged_at AS "acknowledgedAt", acknowledged_by AS "acknowledgedBy", resolved_at AS "resolvedAt", updated_at AS "updatedAt"`;

/** First sequence number of events written from outside the incident's workflow. */
export const EXTERNAL_SEQ_BASE = 1_000_000_000;

/** How the store seals and scrubs what it writes (src/audit/). */
export interface AuditWriting {
  key: AuditKey;
  /** The tenant's redaction rules (privacy.redact); none: written as given. */
  redactor?: (tenant: string) => Redactor;
}

/**
 * Incidents and their append-only, hash-chained timeline. Every write is idempotent, so activities
 * may retry.
 */
export class IncidentStore {
  constructor(
    private readonly pool: Queryable,
    private readonly audit: AuditWriting,
  ) {}

  /**
   * Writes the incident's current summary and appends timeline events in one transaction. Events
   * are keyed by (incident, seq): a retried write inserts nothing twice. `onInserted` hears, after
   * the commit, of the events this call inserted: the place to count them exactly once.
   */
  async record(
    incident: IncidentView & { groupKey: string },
    events: StoredEvent[],
    onInserted?: (events: InsertedEvent[]) => void,
    // 'while-firing': a page's own write (src/delivery/outcome.ts) carries the summary as it was
    // when the page started; once the incident was acknowledged or resolved it must not undo that.
    opts: { summary?: 'always' | 'while-firing' } = {},
  ): Promise<number> {
    const redact = this.audit.redactor?.(incident.tenant);
    const title = redact ? redact.text(incident.title) : incident.title;
    const added: Array<NewEvent & { first?: boolean }> = [];
    const n = await inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO incidents (id, tenant, workflow_id, run_id, group_key, title, alertname, service, severity,
           declared_severity, status, labels, started_at, acknowledged_at, acknowledged_by, resolved_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16, now())
         ON CONFLICT (id) DO UPDATE SET run_id = EXCLUDED.run_id, title = EXCLUDED.title, severity = EXCLUDED.severity,
           declared_severity = EXCLUDED.declared_severity, status = EXCLUDED.status, labels = EXCLUDED.labels,
           acknowledged_at = EXCLUDED.acknowledged_at, acknowledged_by = EXCLUDED.acknowledged_by,
           resolved_at = EXCLUDED.resolved_at, updated_at = now()${opts.summary === 'while-firing' ? " WHERE incidents.status = 'firing'" : ''}`,
        [
          incident.id, incident.tenant, incident.workflowId, incident.runId, incident.groupKey, title,
          incident.alertname, incident.service, incident.severity, incident.declaredSeverity, incident.status,
          JSON.stringify(incident.commonLabels), incident.startedAt,
          incident.status === 'firing' ? null : acknowledgedAt(incident), incident.acknowledgedBy ?? null, incident.resolvedAt ?? null,
        ],
      );
      // Last in the transaction: the chain head's lock is held only for the events' own insert.
      const rows = events.map((e) => ({ incidentId: incident.id, seq: e.seq, at: e.at, kind: e.kind, actor: e.actor, details: redact ? redact.tree(e.details ?? {}) : e.details ?? {} }));
      const count = await appendEvents(client, this.audit.key, incident.tenant, rows, added);
      // Delivered at commit to every HTTP process listening (src/store/endedFeed.ts): their cache of
      // open groups forgets this incident, so a re-send of its alerts opens a new one.
      if (incident.status === 'resolved') await client.query('SELECT pg_notify($1, $2)', [ENDED_CHANNEL, endedPayload(incident.workflowId, incident.id)]);
      if (onInserted) {
        // Time to ack counts the first acknowledgement only.
        for (const e of added.filter((x) => x.kind === 'acknowledged')) {
          const earlier = await client.query(`SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = 'acknowledged' AND seq < $2 LIMIT 1`, [incident.id, e.seq]);
          e.first = earlier.rowCount === 0;
        }
      }
      return count;
    });
    // After the commit: what this call inserted, counted exactly once.
    if (added.length) onInserted?.(added.map(({ incidentId: _id, ...e }) => e));
    return n;
  }

  async list(filter: { tenant: string; status?: IncidentStatus; limit?: number }): Promise<IncidentRow[]> {
    const params: unknown[] = [filter.tenant];
    let where = 'tenant = $1';
    if (filter.status) {
      params.push(filter.status);
      where += ` AND status = $${params.length}`;
    }
    params.push(Math.min(filter.limit ?? 100, 1000));
    const r = await this.pool.query(`SELECT ${COLUMNS} FROM incidents WHERE ${where} ORDER BY started_at DESC LIMIT $${params.length}`, params);
    return r.rows.map(normalise);
  }

  /**
   * Open incidents whose labels contain `contains` (inhibition's candidates): an index lookup
   * (migration 005), so the cost follows the matching incidents, not all open ones.
   */
  async openMatching(
    tenant: string,
    contains: Record<string, string>,
    opts: { except: string; status: Array<'firing' | 'acknowledged'>; limit?: number },
  ): Promise<Array<{ id: string; workflowId: string; labels: Record<string, string> }>> {
    const r = await this.pool.query(
      `SELECT id, workflow_id AS "workflowId", labels FROM incidents
        WHERE tenant = $1 AND status IN ('firing', 'acknowledged') AND status = ANY($2) AND labels @> $3::jsonb AND id <> $4
        ORDER BY started_at DESC LIMIT $5`,
      [tenant, opts.status, JSON.stringify(contains), opts.except, opts.limit ?? 1000],
    );
    return r.rows;
  }

  /**
   * Appends an event from outside the workflow (e.g. an ack for an incident whose workflow has
   * already completed), numbered after the workflow's own events.
   */
  /**
   * The incident as accepted by the webhook, before its workflow has run: the id a 202 returns is
   * readable at once. Insert-only: whatever the workflow has written already wins.
   */
  async accept(incident: IncidentView & { groupKey: string }): Promise<void> {
    const redact = this.audit.redactor?.(incident.tenant);
    await this.pool.query(
      `INSERT INTO incidents (id, tenant, workflow_id, run_id, group_key, title, alertname, service, severity,
         declared_severity, status, labels, started_at, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13, now()) ON CONFLICT (id) DO NOTHING`,
      [
        incident.id, incident.tenant, incident.workflowId, incident.runId, incident.groupKey, redact ? redact.text(incident.title) : incident.title,
        incident.alertname, incident.service, incident.severity, incident.declaredSeverity, incident.status,
        JSON.stringify(incident.commonLabels), incident.startedAt,
      ],
    );
  }

  /**
   * An event from outside the workflow (an action refused after its run ended). Sequence numbers
   * below EXTERNAL_SEQ_BASE belong to the workflow alone (some are reserved for its notices), so
   * these take numbers above it and can never displace one of the workflow's own events.
   */
  async appendExternal(id: string, tenant: string, e: { kind: string; actor: string; details: Record<string, unknown> }): Promise<void> {
    const redact = this.audit.redactor?.(tenant);
    await inTransaction(this.pool, async (client) => {
      // The number is taken under the chain head's lock (appendEvents takes it first thing), so two
      // external events of one incident cannot pick the same one.
      await appendEvents(client, this.audit.key, tenant, async (now) => {
        const at = now.toISOString();
        const r = await client.query<{ seq: number }>('SELECT COALESCE(MAX(seq), $2 - 1) + 1 AS seq FROM incident_events WHERE incident_id = $1 AND seq >= $2', [id, EXTERNAL_SEQ_BASE]);
        return [{ incidentId: id, seq: r.rows[0].seq, at, kind: e.kind, actor: e.actor, details: redact ? redact.tree(e.details) : e.details }];
      });
    });
  }

  /** How many incidents of this alert group started in the last `ms` (a flapping group opens many). */
  async startedRecently(tenant: string, groupKey: string, ms: number): Promise<number> {
    const r = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM incidents WHERE tenant = $1 AND group_key = $2 AND started_at > now() - make_interval(secs => $3)`, [tenant, groupKey, ms / 1000]);
    return Number(r.rows[0].n);
  }

  /** Other incidents of the group started at or after `since` (flapping: how often it came back). */
  async startedSince(tenant: string, groupKey: string, since: Date, excludingId: string): Promise<number> {
    const r = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM incidents WHERE tenant = $1 AND group_key = $2 AND started_at >= $3 AND id <> $4`, [tenant, groupKey, since.toISOString(), excludingId]);
    return Number(r.rows[0].n);
  }

  /**
   * True when the incident is recorded as resolved (an unknown id is not ended: it may not be
   * written yet). Concurrent callers share one query (src/store/coalesce.ts).
   */
  readonly hasEnded = coalesced<string, boolean>(async (ids) => {
    const r = await this.pool.query<{ id: string }>(`SELECT id FROM incidents WHERE id = ANY($1) AND status = 'resolved'`, [ids]);
    return new Map(r.rows.map((row) => [row.id, true]));
  }, false);

  /** The incident if it belongs to `tenant`; another tenant's is as unknown as a missing one. */
  async getOwn(tenant: string, id: string): Promise<IncidentRow | undefined> {
    const row = await this.get(id);
    return row && row.tenant === tenant ? row : undefined;
  }

  async get(id: string): Promise<IncidentRow | undefined> {
    const r = await this.pool.query(`SELECT ${COLUMNS} FROM incidents WHERE id = $1`, [id]);
    return r.rows[0] ? normalise(r.rows[0]) : undefined;
  }

  /**
   * The workflow's own events, in `seq` order. The API's timeline adds the failed delivery tries
   * (src/incident/timeline.ts); those are not events and are not here.
   */
  async timeline(id: string): Promise<StoredEvent[]> {
    const r = await this.pool.query(
      'SELECT seq, at, kind, actor, details FROM incident_events WHERE incident_id = $1 ORDER BY seq',
      [id],
    );
    return r.rows.map((row) => ({ seq: row.seq, at: iso(row.at)!, kind: row.kind, actor: row.actor, details: row.details }));
  }
}

function acknowledgedAt(incident: IncidentView): string | null {
  const ack = [...incident.timeline].reverse().find((e) => e.kind === 'acknowledged');
  return ack?.at ?? null;
}

export function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}

function normalise(row: Record<string, unknown>): IncidentRow {
  return {
    ...(row as unknown as IncidentRow),
    startedAt: iso(row.startedAt)!,
    acknowledgedAt: iso(row.acknowledgedAt),
    resolvedAt: iso(row.resolvedAt),
    updatedAt: iso(row.updatedAt)!,
  };
}
