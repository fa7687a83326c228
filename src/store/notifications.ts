import type pg from 'pg';
import type { ThreadRef } from '../notifiers/types';

export interface LedgerEntry {
  status: 'sending' | 'sent' | 'failed';
  attempts: number;
  thread: ThreadRef | null;
  response: string | null;
}

/**
 * The exactly-once ledger: a notification's idempotency key is claimed before sending and marked
 * sent after. A retried or replayed activity that finds `sent` returns the stored result instead of
 * sending again.
 */
export class NotificationLedger {
  constructor(private readonly pool: pg.Pool) {}

  /** Claims the key (or bumps its attempt count) and returns what is known about it. */
  async claim(key: string, info: { incidentId: string; tenant: string; receiver: string; kind: string }): Promise<LedgerEntry> {
    const r = await this.pool.query(
      `INSERT INTO notifications (idempotency_key, incident_id, tenant, receiver, kind, status, attempts)
       VALUES ($1,$2,$3,$4,$5,'sending',1)
       ON CONFLICT (idempotency_key) DO UPDATE SET attempts = notifications.attempts + 1
         WHERE notifications.status <> 'sent'
       RETURNING status, attempts, thread, response`,
      [key, info.incidentId, info.tenant, info.receiver, info.kind],
    );
    if (r.rows[0]) return r.rows[0] as LedgerEntry;
    const sent = await this.pool.query('SELECT status, attempts, thread, response FROM notifications WHERE idempotency_key = $1', [key]);
    return sent.rows[0] as LedgerEntry;
  }

  async markSent(key: string, result: { thread?: ThreadRef; response?: string }): Promise<void> {
    await this.pool.query(
      `UPDATE notifications SET status = 'sent', sent_at = now(), thread = $2, response = $3, error = NULL WHERE idempotency_key = $1`,
      [key, result.thread ? JSON.stringify(result.thread) : null, result.response ?? null],
    );
  }

  async markFailed(key: string, error: string): Promise<void> {
    await this.pool.query(`UPDATE notifications SET status = 'failed', error = $2 WHERE idempotency_key = $1 AND status <> 'sent'`, [key, error]);
  }

  async forIncident(incidentId: string): Promise<Array<LedgerEntry & { key: string; receiver: string; kind: string }>> {
    const r = await this.pool.query(
      `SELECT idempotency_key AS key, receiver, kind, status, attempts, thread, response FROM notifications WHERE incident_id = $1 ORDER BY created_at`,
      [incidentId],
    );
    return r.rows;
  }
}
