import { Counter, register } from 'prom-client';
import type { Logger } from '../logger';
import type { Queryable } from '../store/lanes';
import type { CircuitState } from './circuitBreaker';

/**
 * The receiver limits every Klaxon process shares through the database (Postgres, or PGlite for
 * the one-process mode): a rate-limit window per receiver and a circuit breaker row per receiver
 * (migration 009_shared_limits.sql). Each call is one statement, so one round trip.
 *
 * Paging never waits on this store: a call that fails or takes longer than `timeoutMs` answers
 * `undefined` ("unreachable"), and the caller falls back to its in-memory limiter or breaker (fail
 * open, counted in klaxon_shared_limits_fallback_total). After a failure the store is left alone
 * for `retryAfterMs`, so sends during an outage do not each wait out the timeout first.
 */

/**
 * How long a half-open trial keeps the circuit to itself at most: the longest a receiver's request
 * may take (30 s, src/config/receivers.ts) and a margin. Only a trial whose worker died mid-request
 * (never reporting its outcome) runs into it.
 */
export const TRIAL_LEASE_MS = 35_000;

export type SharedLimit = 'rate_limit' | 'circuit_breaker';

export type TokenAnswer = { granted: true; token: string } | { granted: false; waitMs: number };

/** A receiver's breaker row; `openForMs` (by the database's clock) stands in for opened_at so process clocks never matter. */
export interface BreakerRow {
  tenant: string;
  receiver: string;
  state: CircuitState;
  failures: number;
  openForMs: number | null;
  lastError: string | null;
  /** Database time of the last change (ms), to order answers that arrive out of order. */
  version: number;
}

export interface SharedLimitsOptions {
  log?: Logger;
  /** Longest a limit check may take before the send goes ahead on the local limits (default 1 s). */
  timeoutMs?: number;
  /** How long an unreachable store is left alone before it is asked again (default 5 s). */
  retryAfterMs?: number;
}

function fallbackCounter(): Counter<'limit'> {
  const name = 'klaxon_shared_limits_fallback_total';
  return (
    (register.getSingleMetric(name) as Counter<'limit'> | undefined) ??
    new Counter({ name, help: 'Limit checks answered by the process-local limiter or breaker because the shared store (Postgres) was unreachable or slow', labelNames: ['limit'] as const })
  );
}
export const sharedLimitsFallback = fallbackCounter();

const BREAKER_COLUMNS = `tenant, receiver, state, failures, last_error AS "lastError",
  CASE WHEN opened_at IS NULL THEN NULL ELSE (extract(epoch FROM clock_timestamp() - opened_at) * 1000)::bigint END AS "openForMs",
  (extract(epoch FROM updated_at) * 1000)::bigint AS version`;

export class SharedLimits {
  private downUntil = 0;
  /** Since the last failure, until an answer: logs say so once per outage, not once per retry. */
  private down = false;
  private readonly timeoutMs: number;
  private readonly retryAfterMs: number;

  constructor(
    private readonly pool: Queryable,
    private readonly opts: SharedLimitsOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.retryAfterMs = opts.retryAfterMs ?? 5000;
  }

  /** False while the store is left alone after a failure (callers skip it without a round trip). */
  reachable(): boolean {
    return Date.now() >= this.downUntil;
  }

  /** Takes a token of `key`'s window (held `holdMs` at most unless returned), or says how long until one is free. */
  async takeToken(key: string, per: number, holdMs: number): Promise<TokenAnswer | undefined> {
    const r = await this.roundTrip('rate_limit', 'SELECT granted, token, wait_ms AS "waitMs" FROM klaxon_take_token($1, $2, $3)', [key, per, Math.ceil(holdMs)]);
    const row = r?.[0] as { granted: boolean; token: string | null; waitMs: string | null } | undefined;
    if (!row) return undefined;
    return row.granted ? { granted: true, token: String(row.token) } : { granted: false, waitMs: Math.max(1, Number(row.waitMs)) };
  }

  /** The send ended: the token comes back `everyMs` from now. Not awaited by anyone; a lost return only holds the token until its hold time. */
  returnToken(key: string, token: string, everyMs: number): void {
    void this.roundTrip('rate_limit', 'SELECT klaxon_return_token($1, $2, $3)', [key, token, Math.ceil(everyMs)], false);
  }

  /** A delivery failed: one more consecutive failure; opens the circuit at `threshold` (or when a half-open trial failed). */
  async recordFailure(tenant: string, receiver: string, threshold: number, error: string): Promise<BreakerRow | undefined> {
    const rows = await this.roundTrip(
      'circuit_breaker',
      `INSERT INTO shared_circuit_breakers AS b (tenant, receiver, state, failures, opened_at, last_error, updated_at)
       VALUES ($1, $2, CASE WHEN $3 <= 1 THEN 'open' ELSE 'closed' END, 1, CASE WHEN $3 <= 1 THEN clock_timestamp() END, $4, clock_timestamp())
       ON CONFLICT (tenant, receiver) DO UPDATE SET
         failures = b.failures + 1,
         last_error = EXCLUDED.last_error,
         state = CASE WHEN b.state = 'half-open' OR (b.state = 'closed' AND b.failures + 1 >= $3) THEN 'open' ELSE b.state END,
         opened_at = CASE WHEN b.state = 'half-open' OR (b.state = 'closed' AND b.failures + 1 >= $3) THEN clock_timestamp() ELSE b.opened_at END,
         trial_until = NULL,
         updated_at = clock_timestamp()
       RETURNING ${BREAKER_COLUMNS}`,
      [tenant, receiver, threshold, error],
    );
    return rows?.[0] as BreakerRow | undefined;
  }

  /** A delivery succeeded: the circuit closes for everyone and the failure count starts over. */
  async recordSuccess(tenant: string, receiver: string): Promise<BreakerRow | undefined> {
    const rows = await this.roundTrip(
      'circuit_breaker',
      `INSERT INTO shared_circuit_breakers AS b (tenant, receiver, updated_at) VALUES ($1, $2, clock_timestamp())
       ON CONFLICT (tenant, receiver) DO UPDATE SET state = 'closed', failures = 0, trial_until = NULL, last_error = NULL, updated_at = clock_timestamp()
       RETURNING ${BREAKER_COLUMNS}`,
      [tenant, receiver],
    );
    return rows?.[0] as BreakerRow | undefined;
  }

  /**
   * The circuit's cooldown is over (or a trial's lease ran out): exactly one delivery of all
   * processes becomes the half-open trial. Answers whether this one did, with the row as it stands.
   */
  async claimTrial(tenant: string, receiver: string, cooldownMs: number, trialLeaseMs = TRIAL_LEASE_MS): Promise<{ granted: boolean; row: BreakerRow } | undefined> {
    const rows = await this.roundTrip(
      'circuit_breaker',
      `WITH claimed AS (
         UPDATE shared_circuit_breakers SET state = 'half-open', trial_until = clock_timestamp() + make_interval(secs => $4::double precision / 1000), updated_at = clock_timestamp()
         WHERE tenant = $1 AND receiver = $2
           AND ((state = 'open' AND opened_at + make_interval(secs => $3::double precision / 1000) <= clock_timestamp())
             OR (state = 'half-open' AND (trial_until IS NULL OR trial_until <= clock_timestamp())))
         RETURNING *)
       SELECT true AS granted, ${BREAKER_COLUMNS} FROM claimed
       UNION ALL
       SELECT false AS granted, ${BREAKER_COLUMNS} FROM shared_circuit_breakers WHERE tenant = $1 AND receiver = $2 AND NOT EXISTS (SELECT 1 FROM claimed)`,
      [tenant, receiver, cooldownMs, trialLeaseMs],
    );
    const row = rows?.[0] as (BreakerRow & { granted: boolean }) | undefined;
    if (!row) return undefined;
    const { granted, ...rest } = row;
    return { granted, row: rest };
  }

  /** A trial was let through but never reached the vendor (cancelled, skipped, 429): the next delivery may try. */
  releaseTrial(tenant: string, receiver: string): void {
    void this.roundTrip('circuit_breaker', `UPDATE shared_circuit_breakers SET trial_until = NULL, updated_at = clock_timestamp() WHERE tenant = $1 AND receiver = $2 AND state = 'half-open'`, [tenant, receiver], false);
  }

  /** Every receiver's breaker (of one tenant), as the store has it; undefined while unreachable. */
  async breakers(tenant?: string): Promise<BreakerRow[] | undefined> {
    return (await this.roundTrip(
      'circuit_breaker',
      `SELECT ${BREAKER_COLUMNS} FROM shared_circuit_breakers ${tenant === undefined ? '' : 'WHERE tenant = $1'}`,
      tenant === undefined ? [] : [tenant],
      false,
    )) as BreakerRow[] | undefined;
  }

  /**
   * One statement with a deadline. `counts`: an unreachable answer means a send was decided, or
   * its outcome kept, on local limits only (the fallback metric); background reads and token
   * returns don't count.
   */
  private async roundTrip(limit: SharedLimit, sql: string, params: unknown[], counts = true): Promise<Record<string, unknown>[] | undefined> {
    if (!this.reachable()) {
      if (counts) sharedLimitsFallback.inc({ limit });
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const r = await Promise.race([this.pool.query(sql, params), deadline]);
      if (this.down) {
        this.down = false;
        this.opts.log?.info('shared receiver limits reachable again: rate limits and circuit breakers are shared between processes');
      }
      return r.rows.map(normalise);
    } catch (err) {
      if (!this.down) {
        this.down = true;
        this.opts.log?.warn({ err: (err as Error).message, retryInMs: this.retryAfterMs }, 'shared receiver limits unreachable: sends go on with the process-local rate limits and circuit breakers');
      }
      this.downUntil = Date.now() + this.retryAfterMs;
      if (counts) sharedLimitsFallback.inc({ limit });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** bigint columns arrive as strings from pg; the ones this module reads are small enough for numbers. */
function normalise(row: Record<string, unknown>): Record<string, unknown> {
  for (const k of ['failures', 'openForMs', 'version']) if (typeof row[k] === 'string') row[k] = Number(row[k]);
  return row;
}
