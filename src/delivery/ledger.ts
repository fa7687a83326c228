import type pg from 'pg';
import type { ThreadRef } from '../notifiers/types';
import type { Queryable } from '../store/lanes';

export interface LedgerEntry {
  status: 'sending' | 'sent' | 'failed';
  attempts: number;
  thread: ThreadRef | null;
  response: string | null;
  /** The receiver that delivered (differs from the one asked when a fallback took the message). */
  deliveredBy: string | null;
}

/**
 * What a claim found: `acquired` means this attempt holds the key's lease and may send; `sent`
 * means an earlier attempt delivered (its result is returned instead of sending again); `held`
 * means another attempt holds a live lease (it may be sending right now), so try again later.
 */
export type Claim = ({ outcome: 'acquired' } & LedgerEntry) | ({ outcome: 'sent' } & LedgerEntry) | { outcome: 'held'; retryInMs: number; owner: string };

export interface ClaimInfo {
  incidentId: string;
  tenant: string;
  receiver: string;
  kind: string;
}

const COLUMNS = 'status, attempts, thread, response, delivered_by AS "deliveredBy"';

/**
 * The notification ledger, and the lock on each idempotency key. A send claims a lease (owner +
 * expiry) before it talks to the vendor and marks the key sent after; a concurrent or overlapping
 * attempt finds the lease held and backs off; one that finds `sent` returns the stored result.
 * The one way a key is sent twice: an attempt whose outcome is unknown (vendor timeout, broken
 * connection, worker killed mid-request) and whose lease then ran out — see README "Delivery guarantee".
 */
export class NotificationLedger {
  constructor(private readonly pool: Queryable) {}

  async claim(key: string, info: ClaimInfo, lease: { owner: string; ms: number }): Promise<Claim> {
    // One statement: the row lock makes concurrent claims of one key take turns, and the WHERE
    // clause lets only an expired (or our own) lease be taken over.
    const r = await this.pool.query(
      `INSERT INTO notifications (idempotency_key, incident_id, tenant, receiver, kind, status, attempts, lease_owner, lease_until)
       VALUES ($1,$2,$3,$4,$5,'sending',1,$6, now() + make_interval(secs => $7::double precision / 1000))
       ON CONFLICT (idempotency_key) DO UPDATE
         SET attempts = notifications.attempts + 1, status = 'sending', lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until
         WHERE notifications.status <> 'sent'
           AND (notifications.lease_until IS NULL OR notifications.lease_until <= now() OR notifications.lease_owner = EXCLUDED.lease_owner)
       RETURNING ${COLUMNS}`,
      [key, info.incidentId, info.tenant, info.receiver, info.kind, lease.owner, lease.ms],
    );
    if (r.rows[0]) return { outcome: 'acquired', ...(r.rows[0] as LedgerEntry) };
    const existing = await this.pool.query(
      `SELECT ${COLUMNS}, lease_owner AS owner, GREATEST(0, EXTRACT(EPOCH FROM (lease_until - now())) * 1000)::int AS "retryInMs"
       FROM notifications WHERE idempotency_key = $1`,
      [key],
    );
    const row = existing.rows[0] as (LedgerEntry & { owner: string; retryInMs: number }) | undefined;
    if (!row) throw new Error(`notification ledger: key ${key} vanished while being claimed`);
    if (row.status === 'sent') return { outcome: 'sent', status: row.status, attempts: row.attempts, thread: row.thread, response: row.response, deliveredBy: row.deliveredBy };
    return { outcome: 'held', retryInMs: row.retryInMs, owner: row.owner };
  }

  /** Keeps a live attempt's lease from running out while it queues or waits for the vendor. */
  /** Extends this owner's lease; false when it is no longer the owner (or the send has ended). */
  async renew(key: string, owner: string, ms: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE notifications SET lease_until = now() + make_interval(secs => $3::double precision / 1000)
       WHERE idempotency_key = $1 AND lease_owner = $2 AND status = 'sending'`,
      [key, owner, ms],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Delivered: the result is kept for any later attempt of the same key, and the lease ends. */
  async markSent(key: string, result: { thread?: ThreadRef; response?: string; deliveredBy?: string }): Promise<void> {
    await this.pool.query(
      `UPDATE notifications SET status = 'sent', sent_at = now(), thread = $2, response = $3, delivered_by = $4, error = NULL, lease_owner = NULL, lease_until = NULL
       WHERE idempotency_key = $1`,
      [key, result.thread ? JSON.stringify(result.thread) : null, result.response ?? null, result.deliveredBy ?? null],
    );
  }

  /** Refused for good by the vendor (or unrenderable): nothing went out. */
  async markFailed(key: string, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE notifications SET status = 'failed', error = $2, lease_owner = NULL, lease_until = NULL WHERE idempotency_key = $1 AND status <> 'sent'`,
      [key, error],
    );
  }

  /** This attempt is over without a delivery it knows of: the next attempt may claim at once. */
  async release(key: string, owner: string, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE notifications SET error = $3, lease_until = NULL WHERE idempotency_key = $1 AND lease_owner = $2 AND status = 'sending'`,
      [key, owner, error],
    );
  }

  async forIncident(incidentId: string): Promise<Array<LedgerEntry & { key: string; receiver: string; kind: string }>> {
    const r = await this.pool.query(
      `SELECT idempotency_key AS key, receiver, kind, ${COLUMNS} FROM notifications WHERE incident_id = $1 ORDER BY created_at`,
      [incidentId],
    );
    return r.rows;
  }
}
