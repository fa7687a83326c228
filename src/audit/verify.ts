import type { Queryable } from '../store/lanes';
import { contentDigest, erasureSeal, GENESIS, headSeal, linkHash } from './chain';
import type { AuditKey } from './key';

/**
 * Walks each tenant's audit chain (chain.ts) from its retention checkpoint to its sealed head and
 * names every row that does not fit:
 *   edited     the row's content is not what was sealed at its position (and no sealed erasure says so)
 *   reordered  the content sealed at another position sits here (rows swapped), or a sealed row
 *              no longer follows its predecessor
 *   deleted    chain positions that should be there and are not (a gap, or a missing end)
 *   inserted   a row the key never sealed: no chain position, a forged seal, or past the sealed end
 *   head       the chain head itself is not sealed by this key (or was sealed by another key)
 */

export type FindingKind = 'edited' | 'reordered' | 'deleted' | 'inserted' | 'head';

export interface Finding {
  kind: FindingKind;
  /** Chain position (first of a range for `deleted`). */
  position?: number;
  /** Last position of a `deleted` range. */
  through?: number;
  rowId?: number;
  incidentId?: string;
  seq?: number;
  message: string;
}

export interface TenantReport {
  tenant: string;
  ok: boolean;
  /** Rows checked and found sealed (erased ones included). */
  rows: number;
  erased: number;
  /** Retention's checkpoint: positions up to here were deleted on purpose. */
  from: number;
  to: number;
  findings: Finding[];
}

interface Row {
  id: string;
  incident_id: string;
  tenant: string;
  seq: number;
  at: Date;
  kind: string;
  actor: string;
  details: unknown;
  recorded_at: Date;
  chain_seq: string | null;
  digest: Buffer | null;
  prev_hash: Buffer | null;
  hash: Buffer | null;
}

const COLS = 'id, incident_id, tenant, seq, at, kind, actor, details, recorded_at, chain_seq, digest, prev_hash, hash';

function where(r: Row): Pick<Finding, 'rowId' | 'incidentId' | 'seq'> & { text: string } {
  return { rowId: Number(r.id), incidentId: r.incident_id, seq: r.seq, text: `row id ${r.id} (incident ${r.incident_id}, seq ${r.seq}, ${r.kind})` };
}

export async function verifyTenants(pool: Queryable, key: AuditKey, opts: { tenant?: string; pageSize?: number } = {}): Promise<TenantReport[]> {
  let tenants: string[];
  if (opts.tenant) tenants = [opts.tenant];
  else {
    const r = await pool.query<{ tenant: string }>('SELECT tenant FROM audit_chain_heads UNION SELECT DISTINCT tenant FROM incident_events ORDER BY 1');
    tenants = r.rows.map((x) => x.tenant);
  }
  const out: TenantReport[] = [];
  for (const t of tenants) out.push(await verifyTenant(pool, key, t, opts.pageSize ?? 2000));
  return out;
}

export async function verifyTenant(pool: Queryable, key: AuditKey, tenant: string, pageSize = 2000): Promise<TenantReport> {
  const findings: Finding[] = [];
  const h = await pool.query<{ last_seq: string; last_hash: Buffer; base_seq: string; base_hash: Buffer; key_id: string; seal: Buffer }>(
    'SELECT last_seq, last_hash, base_seq, base_hash, key_id, seal FROM audit_chain_heads WHERE tenant = $1',
    [tenant],
  );
  const headRow = h.rows[0];
  const head = headRow
    ? { tenant, lastSeq: Number(headRow.last_seq), lastHash: headRow.last_hash, baseSeq: Number(headRow.base_seq), baseHash: headRow.base_hash }
    : { tenant, lastSeq: 0, lastHash: GENESIS, baseSeq: 0, baseHash: GENESIS };
  if (headRow && !headSeal(key, head).equals(headRow.seal)) {
    findings.push({
      kind: 'head',
      message:
        headRow.key_id !== key.id
          ? `the chain was sealed with another key (id ${headRow.key_id}; this key is ${key.id}): verify with that key`
          : `the chain head (end ${head.lastSeq}, checkpoint ${head.baseSeq}) is not sealed by this key: it was changed`,
    });
  }

  // Rows without a position: from before the chain (not adopted yet), or never sealed at all.
  const g = await pool.query<{ legacy_max_id: string }>('SELECT legacy_max_id FROM audit_chain_genesis');
  const legacyMax = Number(g.rows[0]?.legacy_max_id ?? 0);
  const loose = await pool.query<Row>(`SELECT ${COLS} FROM incident_events WHERE tenant = $1 AND chain_seq IS NULL ORDER BY id`, [tenant]);
  for (const r of loose.rows) {
    const w = where(r);
    findings.push({
      kind: 'inserted',
      rowId: w.rowId,
      incidentId: w.incidentId,
      seq: w.seq,
      message: Number(r.id) <= legacyMax ? `${w.text} is from before the chain and not chained yet (\`klaxon start\` chains it)` : `${w.text} has no chain position: it was not written by Klaxon`,
    });
  }

  const erasures = new Map<number, { erased: Buffer; seal: Buffer }>();
  const e = await pool.query<{ chain_seq: string; erased_digest: Buffer; seal: Buffer }>('SELECT chain_seq, erased_digest, seal FROM audit_erasures WHERE tenant = $1', [tenant]);
  for (const x of e.rows) erasures.set(Number(x.chain_seq), { erased: x.erased_digest, seal: x.seal });

  let expected = head.baseSeq + 1;
  let prev: Buffer | undefined = head.baseHash;
  let checked = 0;
  let erased = 0;
  let after = -1;
  for (;;) {
    const page = await pool.query<Row>(`SELECT ${COLS} FROM incident_events WHERE tenant = $1 AND chain_seq > $2 ORDER BY chain_seq, id LIMIT $3`, [tenant, after, pageSize]);
    for (const r of page.rows) {
      const n = Number(r.chain_seq);
      const w = where(r);
      const at = { position: n, rowId: w.rowId, incidentId: w.incidentId, seq: w.seq };
      const sealed = !!(r.prev_hash && r.digest && r.hash) && linkHash(key, tenant, n, r.prev_hash!, r.digest!).equals(r.hash!);
      if (n <= head.baseSeq) {
        findings.push({ kind: 'inserted', ...at, message: `${w.text} sits at position ${n}, at or before the retention checkpoint ${head.baseSeq}, where every row was deleted` });
        continue;
      }
      if (n > head.lastSeq) {
        findings.push({ kind: 'inserted', ...at, message: `${w.text} sits at position ${n}, past the sealed end of the chain (${head.lastSeq})${sealed ? '' : ', and its seal is forged'}` });
        continue;
      }
      if (n < expected) {
        findings.push({ kind: 'inserted', ...at, message: `${w.text} repeats position ${n}${sealed ? '' : ' with a forged seal'}` });
        continue;
      }
      if (n > expected) {
        findings.push({ kind: 'deleted', position: expected, through: n - 1, message: n - 1 === expected ? `position ${expected} is missing (a row was deleted)` : `positions ${expected}-${n - 1} are missing (${n - expected} rows were deleted)` });
        prev = undefined; // its predecessor is gone: check this row's own seal, not the link
      }
      expected = n + 1;
      if (!sealed) {
        findings.push({ kind: 'inserted', ...at, message: `${w.text} at position ${n} is not sealed by this key (a forged row, or its chain columns were changed)` });
        prev = undefined;
        continue;
      }
      checked++;
      if (prev && !prev.equals(r.prev_hash!)) {
        findings.push({ kind: 'reordered', ...at, message: `${w.text} at position ${n} does not follow position ${n - 1} (sealed rows were moved)` });
      }
      prev = r.hash!;
      const actual = contentDigest({ tenant: r.tenant, incidentId: r.incident_id, seq: r.seq, at: r.at, kind: r.kind, actor: r.actor, details: r.details, recordedAt: r.recorded_at });
      if (actual.equals(r.digest!)) continue;
      const er = erasures.get(n);
      if (er && er.erased.equals(actual) && erasureSeal(key, tenant, n, r.digest!, er.erased).equals(er.seal)) {
        erased++;
        continue;
      }
      // Whose content is this? Only asked when something is wrong, so no index is kept for it.
      const other = await pool.query<{ chain_seq: string }>('SELECT chain_seq FROM incident_events WHERE tenant = $1 AND digest = $2 AND chain_seq <> $3 LIMIT 1', [tenant, actual, n]);
      if (other.rows[0]) {
        findings.push({ kind: 'reordered', ...at, message: `${w.text} at position ${n} holds the content sealed at position ${other.rows[0].chain_seq} (rows were swapped)` });
      } else {
        findings.push({ kind: 'edited', ...at, message: `${w.text} at position ${n} was edited: its content is not what was sealed` });
      }
    }
    if (page.rows.length < pageSize) break;
    after = Number(page.rows[page.rows.length - 1].chain_seq);
  }
  if (expected <= head.lastSeq) {
    findings.push({ kind: 'deleted', position: expected, through: head.lastSeq, message: `positions ${expected}-${head.lastSeq} at the end of the chain are missing (rows were deleted)` });
  } else if (prev && head.lastSeq >= expected - 1 && head.lastSeq > head.baseSeq && !prev.equals(head.lastHash)) {
    findings.push({ kind: 'reordered', position: head.lastSeq, message: `the row at the end of the chain (position ${head.lastSeq}) is not the one that was sealed there` });
  }
  return { tenant, ok: findings.length === 0, rows: checked, erased, from: head.baseSeq, to: head.lastSeq, findings };
}
