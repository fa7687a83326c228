import type { Queryable } from '../store/lanes';
import { EXTERNAL_SEQ_BASE } from '../store/incidents';
import { appendEvents, contentDigest, erasureSeal, inTransaction, lockHead } from './chain';
import type { AuditKey } from './key';

/**
 * Right to erasure: every occurrence of a subject (an e-mail address, a phone number, a name) in a
 * tenant's rows becomes a tombstone `[erased:<8 hex>]`, the same for every occurrence, so a reader
 * still sees that one person was involved throughout. The tombstone is keyed (HMAC under the audit
 * key): without the key nobody can test a guess of who it was.
 *
 * Chain rows (incident_events) keep the digest they were sealed with; a sealed erasure record
 * (audit_erasures) names the digest of the content that replaced it, so verify accepts exactly that
 * content at that position and still reports any other change. The erasure is an event of its own
 * (`audit.erased`, with the tombstone, never the subject) on every incident it touched.
 */

export interface ErasureResult {
  tombstone: string;
  /** incident_events rows rewritten. */
  events: number;
  /** Other rows rewritten, by table. */
  other: Record<string, number>;
  incidents: string[];
}

export function tombstoneFor(key: AuditKey, subject: string): string {
  return `[erased:${key.hmac('klaxon-audit-v1|erase-subject|', subject.toLowerCase()).toString('hex').slice(0, 8)}]`;
}

/** A subject that can be found and replaced safely, inside JSON text too. */
export function checkSubject(subject: string): string | undefined {
  if (subject.trim().length < 3) return 'must be at least 3 characters (a shorter value would match everywhere)';
  if (/["\\\u0000-\u001f]/.test(subject)) return 'must not contain quotes, backslashes or control characters';
  return undefined;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\\-/]/g, '\\$&');
// Postgres ARE: a backslash before any non-alphanumeric character makes it literal.
const escapeAre = (s: string) => s.replace(/[^A-Za-z0-9]/g, (c) => `\\${c}`);

/** Text columns (and JSON columns as text) of the tenant's other tables that can hold personal data. */
const OTHER: Array<{ table: string; column: string; json?: boolean }> = [
  { table: 'incidents', column: 'title' },
  { table: 'incidents', column: 'acknowledged_by' },
  { table: 'incidents', column: 'labels', json: true },
  { table: 'notifications', column: 'response' },
  { table: 'notifications', column: 'error' },
  { table: 'notifications', column: 'thread', json: true },
  { table: 'notification_attempts', column: 'reason' },
  { table: 'runbook_runs', column: 'requested_by' },
  { table: 'runbook_runs', column: 'detail' },
  { table: 'runbook_events', column: 'actor' },
  { table: 'runbook_events', column: 'details', json: true },
  { table: 'model_feedback', column: 'actor' },
  { table: 'model_feedback', column: 'note' },
];

export async function eraseSubject(pool: Queryable, key: AuditKey, args: { tenant: string; subject: string; actor: string }): Promise<ErasureResult> {
  const problem = checkSubject(args.subject);
  if (problem) throw new Error(`--subject: ${problem}`);
  const { tenant, subject } = args;
  const tombstone = tombstoneFor(key, subject);
  const re = new RegExp(escapeRegExp(subject), 'gi');
  const replaceText = (s: string) => s.replace(re, tombstone);
  const replaceTree = (v: unknown): unknown => {
    if (typeof v === 'string') return replaceText(v);
    if (Array.isArray(v)) return v.map(replaceTree);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceTree(x)]));
    return v;
  };
  return inTransaction(pool, async (client) => {
    // The tenant's chain lock: no append interleaves with the rewrite.
    await lockHead(client, key, tenant);
    await client.query("SET LOCAL klaxon.audit_write = 'erase'");
    const needle = subject.toLowerCase();
    const rows = await client.query(
      `SELECT id, incident_id, seq, at, kind, actor, details, recorded_at, chain_seq, digest FROM incident_events
        WHERE tenant = $1 AND chain_seq IS NOT NULL AND (strpos(lower(actor), $2) > 0 OR strpos(lower(details::text), $2) > 0) ORDER BY chain_seq`,
      [tenant, needle],
    );
    const touched = new Set<string>();
    let events = 0;
    for (const r of rows.rows) {
      const actor = replaceText(r.actor);
      const details = replaceTree(r.details);
      if (actor === r.actor && JSON.stringify(details) === JSON.stringify(r.details)) continue; // only in a key
      const erased = contentDigest({ tenant, incidentId: r.incident_id, seq: r.seq, at: r.at, kind: r.kind, actor, details, recordedAt: r.recorded_at });
      await client.query('UPDATE incident_events SET actor = $2, details = $3 WHERE id = $1', [r.id, actor, JSON.stringify(details)]);
      await client.query(
        `INSERT INTO audit_erasures (tenant, chain_seq, erased_digest, seal) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant, chain_seq) DO UPDATE SET erased_digest = EXCLUDED.erased_digest, seal = EXCLUDED.seal, erased_at = now()`,
        [tenant, r.chain_seq, erased, erasureSeal(key, tenant, Number(r.chain_seq), r.digest, erased)],
      );
      touched.add(r.incident_id);
      events++;
    }
    const other: Record<string, number> = {};
    for (const { table, column, json } of OTHER) {
      const text = json ? `${column}::text` : column;
      const set = json ? `regexp_replace(${text}, $2, $3, 'gi')::jsonb` : `regexp_replace(${column}, $2, $3, 'gi')`;
      const idColumn = table === 'incidents' ? 'id' : 'incident_id';
      const u = await client.query<{ incident: string }>(
        `UPDATE ${table} SET ${column} = ${set} WHERE tenant = $1 AND strpos(lower(${text}), $4) > 0 RETURNING ${idColumn} AS incident`,
        [tenant, escapeAre(subject), tombstone, needle],
      );
      if (u.rowCount) {
        other[`${table}.${column}`] = u.rowCount;
        for (const x of u.rows) touched.add(x.incident);
      }
    }
    const incidents = [...touched].sort();
    // The erasure is audited on each incident it touched, numbered as external events are.
    await appendEvents(client, key, tenant, async (now) => {
      const seqs = await client.query<{ incident_id: string; seq: number }>(
        `SELECT i AS incident_id, COALESCE((SELECT MAX(seq) FROM incident_events WHERE incident_id = i AND seq >= $2), $2 - 1) + 1 AS seq
           FROM unnest($1::text[]) AS i WHERE EXISTS (SELECT 1 FROM incidents WHERE id = i)`,
        [incidents, EXTERNAL_SEQ_BASE],
      );
      return seqs.rows.map((s) => ({
        incidentId: s.incident_id,
        seq: s.seq,
        at: now.toISOString(),
        kind: 'audit.erased',
        actor: args.actor,
        details: { subject: tombstone, events, other },
      }));
    });
    return { tombstone, events, other, incidents };
  });
}
