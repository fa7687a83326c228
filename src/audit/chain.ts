import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Queryable } from '../store/lanes';
import { canonicalEvent, type EventContent } from './canonical';
import type { AuditKey } from './key';

/**
 * The audit hash chain (migration 008). Each tenant's incident_events rows form one line:
 *   digest_n = SHA-256(canonical content of row n)
 *   hash_n   = HMAC(key, tenant, n, hash_{n-1}, digest_n)       hash_0 = 32 zero bytes
 * The chain hashes a per-row content digest (not the content itself) so that erasure can replace a
 * row's content and keep its sealed digest, with a sealed record of the content that replaced it
 * (erase.ts); every other change to a row, a missing row or a row without a valid seal shows.
 */

export const GENESIS = Buffer.alloc(32);

export function contentDigest(e: EventContent): Buffer {
  return createHash('sha256').update(canonicalEvent(e)).digest();
}

export function linkHash(key: AuditKey, tenant: string, chainSeq: number, prev: Buffer, digest: Buffer): Buffer {
  return key.hmac(`klaxon-audit-v1|link|${tenant}|${chainSeq}|`, prev, digest);
}

export interface ChainHead {
  tenant: string;
  lastSeq: number;
  lastHash: Buffer;
  /** Retention's checkpoint: links up to baseSeq are deleted; baseHash is the last one's hash. */
  baseSeq: number;
  baseHash: Buffer;
}

export function headSeal(key: AuditKey, h: ChainHead): Buffer {
  return key.hmac(`klaxon-audit-v1|head|${h.tenant}|${h.lastSeq}|${h.baseSeq}|`, h.lastHash, h.baseHash);
}

export function erasureSeal(key: AuditKey, tenant: string, chainSeq: number, sealedDigest: Buffer, erasedDigest: Buffer): Buffer {
  return key.hmac(`klaxon-audit-v1|erasure|${tenant}|${chainSeq}|`, sealedDigest, erasedDigest);
}

type Client = Pick<pg.PoolClient, 'query'>;

/**
 * Locks the tenant's chain head for the rest of the transaction (creating it on first use): every
 * append, erasure and retention run of a tenant takes this row lock, so they form one line. Works
 * the same on PGlite, whose single session serialises anyway. Also answers the transaction's now(),
 * the rows' recorded_at (what the column's default would have been).
 */
export async function lockHead(client: Client, key: AuditKey, tenant: string, probe?: Array<{ incidentId: string; seq: number }>): Promise<ChainHead & { now: Date; existing: Set<string> }> {
  // With `probe`, the same statement also answers which of those (incident, seq) are stored
  // already, saving a round trip on the paging path. Its snapshot may predate a writer that held
  // the lock before us; appendEvents then meets that writer's rows as a conflict and fails the
  // transaction, and the activity's retry sees them.
  const select = () =>
    client.query<{ last_seq: string; last_hash: Buffer; base_seq: string; base_hash: Buffer; now: Date; existing: string[] | null }>({
      // Named: prepared once per connection, planned once (this runs on every audit write).
      name: probe ? 'klaxon-chain-lock-probe' : 'klaxon-chain-lock',
      text: `SELECT last_seq, last_hash, base_seq, base_hash, now() AS now,
              ${probe ? `ARRAY(SELECT incident_id || chr(1) || seq FROM incident_events WHERE (incident_id, seq) IN (SELECT * FROM unnest($2::text[], $3::int[])))` : 'NULL::text[]'} AS existing
         FROM audit_chain_heads WHERE tenant = $1 FOR UPDATE`,
      values: probe ? [tenant, probe.map((p) => p.incidentId), probe.map((p) => p.seq)] : [tenant],
    });
  let r = await select();
  if (!r.rows[0]) {
    const head: ChainHead = { tenant, lastSeq: 0, lastHash: GENESIS, baseSeq: 0, baseHash: GENESIS };
    await client.query(
      `INSERT INTO audit_chain_heads (tenant, last_seq, last_hash, base_seq, base_hash, key_id, seal) VALUES ($1, 0, $2, 0, $2, $3, $4)
       ON CONFLICT (tenant) DO NOTHING`,
      [tenant, GENESIS, key.id, headSeal(key, head)],
    );
    r = await select();
  }
  const row = r.rows[0];
  return {
    tenant,
    lastSeq: Number(row.last_seq),
    lastHash: row.last_hash,
    baseSeq: Number(row.base_seq),
    baseHash: row.base_hash,
    now: row.now,
    existing: new Set(row.existing ?? []),
  };
}

function headUpdate(key: AuditKey, h: ChainHead, from: number): { sql: string; params: unknown[] } {
  return {
    sql: `UPDATE audit_chain_heads SET last_seq = $${from}, last_hash = $${from + 1}, base_seq = $${from + 2}, base_hash = $${from + 3}, key_id = $${from + 4}, seal = $${from + 5} WHERE tenant = $${from + 6}`,
    params: [h.lastSeq, h.lastHash, h.baseSeq, h.baseHash, key.id, headSeal(key, h), h.tenant],
  };
}

export async function saveHead(client: Client, key: AuditKey, h: ChainHead): Promise<void> {
  const u = headUpdate(key, h, 1);
  await client.query(u.sql, u.params);
}

export interface NewEvent {
  incidentId: string;
  seq: number;
  at: string;
  kind: string;
  actor: string;
  details: Record<string, unknown>;
}

/**
 * Appends events to the tenant's chain inside the caller's transaction; answers how many were new.
 * Idempotent as the plain insert was: an event already stored under (incident, seq) — a retried
 * activity — is skipped before it gets a chain position, so a duplicate never advances the chain.
 * One statement for the check and one for the insert, whatever the batch size.
 */
export async function appendEvents(
  client: Client,
  key: AuditKey,
  tenant: string,
  given: NewEvent[] | ((now: Date) => Promise<NewEvent[]>),
  /** Filled with the events this call inserted (not those already stored). */
  added?: NewEvent[],
): Promise<number> {
  if (Array.isArray(given) && !given.length) return 0;
  const head = await lockHead(client, key, tenant, Array.isArray(given) ? given : undefined);
  // A function makes its events under the lock (an external event numbers itself after the rest).
  const events = Array.isArray(given) ? given : await given(head.now);
  if (!events.length) return 0;
  const seen = head.existing;
  const cols: { [k: string]: unknown[] } = { incident: [], seq: [], at: [], kind: [], actor: [], details: [], chainSeq: [], digest: [], prev: [], hash: [] };
  let { lastSeq, lastHash } = head;
  for (const e of events) {
    const id = `${e.incidentId}\u0001${e.seq}`;
    if (seen.has(id)) continue;
    seen.add(id);
    added?.push(e);
    const digest = contentDigest({ tenant, incidentId: e.incidentId, seq: e.seq, at: e.at, kind: e.kind, actor: e.actor, details: e.details, recordedAt: head.now });
    const chainSeq = lastSeq + 1;
    const hash = linkHash(key, tenant, chainSeq, lastHash, digest);
    cols.incident.push(e.incidentId);
    cols.seq.push(e.seq);
    cols.at.push(e.at);
    cols.kind.push(e.kind);
    cols.actor.push(e.actor);
    cols.details.push(JSON.stringify(e.details ?? {}));
    cols.chainSeq.push(chainSeq);
    cols.digest.push(digest);
    cols.prev.push(lastHash);
    cols.hash.push(hash);
    lastSeq = chainSeq;
    lastHash = hash;
  }
  const n = cols.incident.length;
  if (!n) return 0;
  // Rows and the new head in one statement (one round trip); both or neither, by the check below.
  const u = headUpdate(key, { ...head, lastSeq, lastHash }, 13);
  const r = await client.query<{ n: string }>({
    name: 'klaxon-chain-append',
    text: `WITH ins AS (
       INSERT INTO incident_events (incident_id, tenant, seq, at, kind, actor, details, recorded_at, chain_seq, digest, prev_hash, hash)
       SELECT i, $2, s, a, k, ac, d, $1, cs, dg, p, h
         FROM unnest($3::text[], $4::int[], $5::timestamptz[], $6::text[], $7::text[], $8::jsonb[], $9::bigint[], $10::bytea[], $11::bytea[], $12::bytea[])
           AS t(i, s, a, k, ac, d, cs, dg, p, h)
       ON CONFLICT (incident_id, seq) DO NOTHING RETURNING 1
     ), head AS (${u.sql})
     SELECT count(*) AS n FROM ins`,
    values: [head.now, tenant, cols.incident, cols.seq, cols.at, cols.kind, cols.actor, cols.details, cols.chainSeq, cols.digest, cols.prev, cols.hash, ...u.params],
  });
  // A row that appeared since the check (a concurrent retry of the same write): fail the whole
  // transaction rather than leave a hole in the chain; the retry finds it stored and skips it.
  const inserted = Number(r.rows[0].n);
  if (inserted !== n) throw new Error(`audit chain of tenant ${tenant}: ${n - inserted} event(s) were written concurrently; retry`);
  return n;
}

/** Runs fn in a transaction on its own client. */
export async function inTransaction<T>(pool: Queryable, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Gives rows written before migration 008 their chain links, per tenant in id order (the order they
 * were written), appended after whatever the tenant's chain already holds. Runs at start; a no-op
 * once done. Batches keep each transaction (and the head lock) short.
 */
export async function adoptLegacyEvents(pool: Queryable, key: AuditKey, batch = 500): Promise<number> {
  const g = await pool.query<{ legacy_max_id: string }>('SELECT legacy_max_id FROM audit_chain_genesis');
  const maxId = Number(g.rows[0]?.legacy_max_id ?? 0);
  if (!maxId) return 0;
  let adopted = 0;
  for (;;) {
    const t = await pool.query<{ tenant: string }>('SELECT tenant FROM incident_events WHERE chain_seq IS NULL AND id <= $1 LIMIT 1', [maxId]);
    const tenant = t.rows[0]?.tenant;
    if (tenant === undefined) return adopted;
    adopted += await inTransaction(pool, async (client) => {
      const head = await lockHead(client, key, tenant);
      await client.query("SET LOCAL klaxon.audit_write = 'adopt'");
      const rows = await client.query(
        'SELECT id, incident_id, seq, at, kind, actor, details, recorded_at FROM incident_events WHERE tenant = $1 AND chain_seq IS NULL AND id <= $2 ORDER BY id LIMIT $3',
        [tenant, maxId, batch],
      );
      let { lastSeq, lastHash } = head;
      for (const row of rows.rows) {
        const digest = contentDigest({ tenant, incidentId: row.incident_id, seq: row.seq, at: row.at, kind: row.kind, actor: row.actor, details: row.details, recordedAt: row.recorded_at });
        const chainSeq = lastSeq + 1;
        const hash = linkHash(key, tenant, chainSeq, lastHash, digest);
        await client.query('UPDATE incident_events SET chain_seq = $2, digest = $3, prev_hash = $4, hash = $5 WHERE id = $1', [row.id, chainSeq, digest, lastHash, hash]);
        lastSeq = chainSeq;
        lastHash = hash;
      }
      await saveHead(client, key, { ...head, lastSeq, lastHash });
      return rows.rows.length;
    });
  }
}
