import type { Queryable } from './lanes';
import type { TimelineEntry } from '../incident/view';
import { iso } from './incidents';

export interface RunbookRunRow {
  runId: string;
  tenant: string;
  incidentId: string;
  runbook: string;
  mode: string;
  concurrencyKey: string;
  requestedBy: string;
  startedAt: string;
  endedAt: string | null;
  outcome: string | null;
  detail: string | null;
}

export type ClaimOutcome = { ok: true } | { ok: false; reason: string };

const COLUMNS = `run_id AS "runId", tenant, incident_id AS "incidentId", runbook, mode, concurrency_key AS "concurrencyKey",
  requested_by AS "requestedBy", started_at AS "startedAt", ended_at AS "endedAt", outcome, detail`;

/** Runbook runs and their timeline rows (migrations/007_runbooks.sql). Writes are idempotent. */
export class RunbookStore {
  constructor(private readonly pool: Queryable) {}

  /**
   * Takes the run's place: refused while another run of the runbook holds the same concurrency key,
   * or (automatic runs) when the tenant's hourly limit is spent. Claiming the same run id again
   * (a retried activity) answers ok.
   */
  async claim(run: Pick<RunbookRunRow, 'runId' | 'tenant' | 'incidentId' | 'runbook' | 'mode' | 'concurrencyKey' | 'requestedBy'>, limit?: { perHour: number }): Promise<ClaimOutcome> {
    const mine = await this.pool.query('SELECT 1 FROM runbook_runs WHERE run_id = $1', [run.runId]);
    if (mine.rowCount) return { ok: true };
    if (limit) {
      const recent = await this.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM runbook_runs WHERE tenant = $1 AND runbook = $2 AND requested_by = 'klaxon' AND started_at > now() - interval '1 hour'`,
        [run.tenant, run.runbook],
      );
      if (Number(recent.rows[0].n) >= limit.perHour) return { ok: false, reason: `rate limit: ${limit.perHour} automatic runs of ${run.runbook} in the last hour` };
    }
    try {
      await this.pool.query(
        `INSERT INTO runbook_runs (run_id, tenant, incident_id, runbook, mode, concurrency_key, requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id) DO NOTHING`,
        [run.runId, run.tenant, run.incidentId, run.runbook, run.mode, run.concurrencyKey, run.requestedBy],
      );
      return { ok: true };
    } catch (err) {
      if ((err as { code?: string }).code !== '23505') throw err;
      const busy = await this.pool.query<{ run_id: string }>('SELECT run_id FROM runbook_runs WHERE tenant = $1 AND runbook = $2 AND concurrency_key = $3 AND ended_at IS NULL', [run.tenant, run.runbook, run.concurrencyKey]);
      return { ok: false, reason: `already running for ${run.concurrencyKey || 'this tenant'}: ${busy.rows[0]?.run_id ?? 'another run'}` };
    }
  }

  /** Marks the run ended; answers the run (and its length) the first time only, so a retry counts once. */
  async end(runId: string, outcome: string, detail?: string): Promise<{ tenant: string; runbook: string; seconds: number } | undefined> {
    const r = await this.pool.query<{ tenant: string; runbook: string; seconds: string }>(
      `UPDATE runbook_runs SET ended_at = now(), outcome = $2, detail = $3 WHERE run_id = $1 AND ended_at IS NULL
       RETURNING tenant, runbook, extract(epoch FROM ended_at - started_at) AS seconds`,
      [runId, outcome, detail ?? null],
    );
    const row = r.rows[0];
    return row && { tenant: row.tenant, runbook: row.runbook, seconds: Number(row.seconds) };
  }

  async record(run: { runId: string; tenant: string; incidentId: string }, events: Array<TimelineEntry & { seq: number }>): Promise<void> {
    if (!events.length) return;
    await this.pool.query(
      `INSERT INTO runbook_events (run_id, seq, incident_id, tenant, at, kind, actor, details)
       SELECT $1, e.seq, $2, $3, e.at, e.kind, e.actor, e.details
       FROM jsonb_to_recordset($4::jsonb) AS e(seq integer, at timestamptz, kind text, actor text, details jsonb)
       ON CONFLICT (run_id, seq) DO NOTHING`,
      [run.runId, run.incidentId, run.tenant, JSON.stringify(events)],
    );
  }

  async runsOf(incidentId: string, tenant: string): Promise<RunbookRunRow[]> {
    const r = await this.pool.query(`SELECT ${COLUMNS} FROM runbook_runs WHERE incident_id = $1 AND tenant = $2 ORDER BY started_at`, [incidentId, tenant]);
    return r.rows.map((row) => ({ ...row, startedAt: iso(row.startedAt)!, endedAt: iso(row.endedAt) }));
  }

  async eventsOf(incidentId: string, tenant: string): Promise<Array<TimelineEntry & { runId: string }>> {
    const r = await this.pool.query(`SELECT run_id AS "runId", at, kind, actor, details FROM runbook_events WHERE incident_id = $1 AND tenant = $2 ORDER BY at, run_id, seq`, [incidentId, tenant]);
    return r.rows.map((row) => ({ runId: row.runId, at: iso(row.at)!, kind: row.kind, actor: row.actor, details: row.details }));
  }
}
