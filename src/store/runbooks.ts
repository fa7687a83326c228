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

export interface RunbookStats {
  runbook: string;
  runs: number;
  outcomes: Record<string, number>;
  /** Succeeded / ended runs. */
  successRate: number | null;
  /** Median seconds from incident start to resolve: with a successful run, and for incidents of the same alert names without any run. */
  medianResolveSeconds: { withRun: number | null; withoutRun: number | null };
}

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

  /** Per runbook over the last `sinceMs`: outcomes, success rate, and time to resolve with and without it. */
  async stats(tenant: string, sinceMs: number): Promise<RunbookStats[]> {
    const since = sinceMs / 1000;
    const runs = await this.pool.query<{ runbook: string; outcome: string | null; n: string }>(
      `SELECT runbook, outcome, count(*) AS n FROM runbook_runs WHERE tenant = $1 AND started_at > now() - make_interval(secs => $2) GROUP BY runbook, outcome`,
      [tenant, since],
    );
    const ttr = await this.pool.query<{ runbook: string; with_run: number | null; without_run: number | null }>(
      `WITH mine AS (
         SELECT r.runbook, r.outcome, i.id, i.alertname FROM runbook_runs r JOIN incidents i ON i.id = r.incident_id
         WHERE r.tenant = $1 AND r.started_at > now() - make_interval(secs => $2))
       SELECT b.runbook,
         (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.resolved_at - i.started_at)) FROM incidents i
            WHERE i.id IN (SELECT id FROM mine m WHERE m.runbook = b.runbook AND m.outcome = 'succeeded') AND i.resolved_at IS NOT NULL) AS with_run,
         (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.resolved_at - i.started_at)) FROM incidents i
            WHERE i.tenant = $1 AND i.started_at > now() - make_interval(secs => $2) AND i.resolved_at IS NOT NULL
              AND i.alertname IN (SELECT alertname FROM mine m WHERE m.runbook = b.runbook)
              AND NOT EXISTS (SELECT 1 FROM runbook_runs r WHERE r.incident_id = i.id)) AS without_run
       FROM (SELECT DISTINCT runbook FROM mine) b`,
      [tenant, since],
    );
    const out = new Map<string, RunbookStats>();
    for (const r of runs.rows) {
      const s = out.get(r.runbook) ?? { runbook: r.runbook, runs: 0, outcomes: {}, successRate: null, medianResolveSeconds: { withRun: null, withoutRun: null } };
      s.outcomes[r.outcome ?? 'running'] = Number(r.n);
      s.runs += Number(r.n);
      out.set(r.runbook, s);
    }
    for (const s of out.values()) {
      const ended = s.runs - (s.outcomes.running ?? 0);
      s.successRate = ended ? (s.outcomes.succeeded ?? 0) / ended : null;
    }
    for (const t of ttr.rows) {
      const s = out.get(t.runbook);
      if (s) s.medianResolveSeconds = { withRun: t.with_run === null ? null : Number(t.with_run), withoutRun: t.without_run === null ? null : Number(t.without_run) };
    }
    return [...out.values()].sort((a, b) => a.runbook.localeCompare(b.runbook));
  }
}
