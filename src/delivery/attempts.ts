import type { Queryable } from '../store/lanes';
import type { RetryPolicy } from '@temporalio/common';

/**
 * One try of a notification that did not deliver (migrations/006_notification_attempts.sql). The
 * incident's timeline shows it as `notify.attempt`, so "why did the page arrive 4 minutes late?"
 * has an answer: each failed try, the vendor's reason, and when the next one was due.
 */
export interface FailedAttempt {
  idempotencyKey: string;
  /** The activity attempt ("<run id>/<activity id>/<attempt>", the ledger's lease owner): with the key, the row's identity. */
  attemptId: string;
  incidentId: string;
  tenant: string;
  receiver: string;
  kind: string;
  /** Temporal's attempt number of the notify activity (what its UI and the worker's log show). */
  attempt: number;
  /** ISO time the try ended. */
  at: string;
  /** The vendor's status (HTTP, or SMTP reply code), when it answered at all. */
  status?: number;
  /** A DeliveryError's message (scrubbed of the receiver's secrets), or Klaxon's own words: never anything else. */
  reason: string;
  /** From `at` to the next try; absent when no try follows (or the retry policy is unknown). */
  retryInMs?: number;
  /** No try follows: the vendor refused for good, or the retry policy's attempts are spent. */
  final: boolean;
}

const COLUMNS = `idempotency_key AS "idempotencyKey", attempt_id AS "attemptId", incident_id AS "incidentId", tenant, receiver, kind,
  attempt, at, status, reason, retry_in_ms::float8 AS "retryInMs", final`;

/** The failed tries of notifications: written by the notify activity, read into the incident's timeline. */
export class NotificationAttempts {
  constructor(private readonly pool: Queryable) {}

  /** Idempotent: writing the same activity attempt again changes nothing. */
  async record(a: FailedAttempt): Promise<void> {
    await this.pool.query(
      `INSERT INTO notification_attempts (idempotency_key, attempt_id, incident_id, tenant, receiver, kind, attempt, at, status, reason, retry_in_ms, final)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (idempotency_key, attempt_id) DO NOTHING`,
      [a.idempotencyKey, a.attemptId, a.incidentId, a.tenant, a.receiver, a.kind, a.attempt, a.at, a.status ?? null, a.reason, a.retryInMs ?? null, a.final],
    );
  }

  /** The incident's failed tries, oldest first. */
  async forIncident(incidentId: string, tenant: string): Promise<FailedAttempt[]> {
    const r = await this.pool.query(`SELECT ${COLUMNS} FROM notification_attempts WHERE incident_id = $1 AND tenant = $2 ORDER BY at, attempt_id`, [incidentId, tenant]);
    return r.rows.map((row) => ({
      ...row,
      at: (row.at as Date).toISOString(),
      status: row.status ?? undefined,
      retryInMs: row.retryInMs ?? undefined,
    }));
  }
}

/**
 * What follows a failed try, as Temporal will decide it: the delay the activity asked for (the
 * vendor's Retry-After), else the retry policy's backoff (initial × coefficient^(attempt − 1),
 * capped at the maximum: Temporal's own formula), and nothing once the policy's attempts are spent.
 * The worker hands the policy's durations over in milliseconds; without them the delay is unknown.
 */
export function nextTry(info: { attempt: number; isLocal: boolean; retryPolicy?: RetryPolicy }, askedMs?: number): { retryInMs?: number; final: boolean } {
  const policy = info.retryPolicy;
  // A local first try that gives up is retried as a regular activity (legacy runs, workflows/incident.ts): not final.
  if (!info.isLocal && policy?.maximumAttempts && info.attempt >= policy.maximumAttempts) return { final: true };
  if (askedMs !== undefined) return { retryInMs: askedMs, final: false };
  const initial = typeof policy?.initialInterval === 'number' ? policy.initialInterval : undefined;
  if (initial === undefined) return { final: false };
  const max = typeof policy?.maximumInterval === 'number' ? policy.maximumInterval : 100 * initial;
  return { retryInMs: Math.min(initial * (policy?.backoffCoefficient ?? 2) ** (info.attempt - 1), max), final: false };
}
