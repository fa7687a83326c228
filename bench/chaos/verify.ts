/**
 * The checks, from what the load did (GroupRecord), what the receiver double saw (arrivals) and
 * what the audit store holds (`incidents`, `incident_events` of the run's tenant). Each check's
 * definition is above its code; every count is a violation and must be 0.
 */
import type { Pool } from 'pg';
import { EXTERNAL_SEQ_BASE } from '../../src/store/incidents';
import type { Arrival } from '../support/receiver';
import { PAGE_KINDS } from './arrivals';
import type { InjectedFault } from './faults';
import type { GroupRecord } from './load';

export interface AuditIncident {
  id: string;
  groupKey: string;
  status: string;
  events: Array<{ seq: number; kind: string; details: Record<string, unknown> }>;
}

/**
 * The workflow's events only. Failed delivery tries (`notify.attempt` in the API's timeline) live in
 * notification_attempts and are left out on purpose: they have no seq and are not outcomes, so the
 * gap and outcome checks below would count them as violations; and a try under faults is expected.
 */
export async function readAudit(pool: Pool, tenant: string): Promise<AuditIncident[]> {
  const incidents = await pool.query<{ id: string; group_key: string; status: string }>('SELECT id, group_key, status FROM incidents WHERE tenant = $1', [tenant]);
  const events = await pool.query<{ incident_id: string; seq: number; kind: string; details: Record<string, unknown> }>(
    'SELECT incident_id, seq, kind, details FROM incident_events WHERE tenant = $1 ORDER BY incident_id, seq',
    [tenant],
  );
  const byId = new Map<string, AuditIncident>(incidents.rows.map((r) => [r.id, { id: r.id, groupKey: r.group_key, status: r.status, events: [] }]));
  for (const e of events.rows) byId.get(e.incident_id)?.events.push({ seq: e.seq, kind: e.kind, details: e.details });
  return [...byId.values()];
}

/** One violation, with enough to find it: the group, the incident, what was wrong. */
export interface Finding {
  check: string;
  group?: number;
  incidentId?: string;
  what: string;
}

export interface Verdict {
  counts: Record<CheckName, number>;
  findings: Finding[];
  /** First-page latency (ms from sending the accepted firing post to the first page's arrival), split by faults. */
  latency: { quiet: number[]; faulty: number[] };
}

export const CHECKS = [
  'accepted groups without an incident',
  'incidents without their first page',
  'duplicate deliveries (idempotency keys delivered more than once)',
  "pages more than 1 s after an ack's 200",
  'resolved groups without exactly one resolve notice',
  'incidents whose audit timeline disagrees with what happened',
] as const;
export type CheckName = (typeof CHECKS)[number];

/** A first page counts as "with faults" if its firing post was accepted from 5 s before a fault began to 30 s after it ended. */
const FAULT_BEFORE_MS = 5_000;
const FAULT_AFTER_MS = 30_000;

export function verify(groups: GroupRecord[], arrivals: Arrival[], audit: AuditIncident[], faults: InjectedFault[]): Verdict {
  const findings: Finding[] = [];
  const add = (check: CheckName, f: Omit<Finding, 'check'>) => findings.push({ check, ...f });
  const byGroupKey = new Map<string, AuditIncident[]>();
  for (const inc of audit) byGroupKey.set(inc.groupKey, [...(byGroupKey.get(inc.groupKey) ?? []), inc]);
  const arrivalsOf = new Map<string, Arrival[]>();
  for (const a of arrivals) if (a.incidentId) arrivalsOf.set(a.incidentId, [...(arrivalsOf.get(a.incidentId) ?? []), a]);
  const latency = { quiet: [] as number[], faulty: [] as number[] };

  // Duplicate deliveries: an idempotency key the receiver got more than once (each such key is one violation).
  const perKey = new Map<string, Arrival[]>();
  for (const a of arrivals) if (a.idempotencyKey) perKey.set(a.idempotencyKey, [...(perKey.get(a.idempotencyKey) ?? []), a]);
  for (const [key, list] of perKey) {
    if (list.length > 1) add(CHECKS[2], { incidentId: list[0].incidentId, what: `${key} (${list[0].kind}) arrived ${list.length}× at ${list.map((a) => new Date(a.at).toISOString()).join(', ')}` });
  }

  for (const g of groups) {
    if (!g.opened) continue;
    const incidents = byGroupKey.get(g.groupKey) ?? [];
    const named = incidents.find((i) => i.id === g.opened!.incidentId);

    // Accepted without an incident: the firing post got a 2xx, but the incident its answer named has
    // no row in the audit store, or its timeline has no "opened".
    if (!named || !named.events.some((e) => e.kind === 'opened')) {
      add(CHECKS[0], { group: g.index, incidentId: g.opened.incidentId, what: named ? 'row without an "opened" event' : 'no incident row' });
    }

    for (const inc of incidents) {
      const got = arrivalsOf.get(inc.id) ?? [];
      const pages = got.filter((a) => PAGE_KINDS.has(a.kind ?? ''));

      // Without its first page: no page (firing/escalated) for the incident ever arrived. (The load
      // resolves a group only after its first page, and acks only after it, so every incident owes one.)
      if (pages.length === 0) add(CHECKS[1], { group: g.index, incidentId: inc.id, what: `no page; arrivals: ${got.map((a) => a.kind).join(', ') || 'none'}` });
      else if (inc.id === g.opened.incidentId) {
        const ms = pages[0].at - g.opened.sentAt;
        (faults.some((f) => g.opened!.answeredAt >= f.start - FAULT_BEFORE_MS && g.opened!.sentAt <= f.end + FAULT_AFTER_MS) ? latency.faulty : latency.quiet).push(ms);
      }

      // Pages after an ack's 200: a page (not a notice) for the acknowledged incident that arrived
      // more than 1 s after the ack's 200 came back.
      if (g.ack?.answer === 'ok' && inc.id === g.opened.incidentId) {
        const late = pages.filter((a) => a.at > g.ack!.answeredAt! + 1000);
        if (late.length) add(CHECKS[3], { group: g.index, incidentId: inc.id, what: late.map((a) => `${a.idempotencyKey} ${((a.at - g.ack!.answeredAt!) / 1000).toFixed(1)} s after the ack's 200`).join('; ') });
      }
    }

    // Resolve notices: a group whose resolve post got a 2xx must see exactly one distinct
    // idempotency key of kind "resolved" across its incidents (repeats of one key are duplicates, above).
    if (g.resolved) {
      const keys = new Set(incidents.flatMap((i) => (arrivalsOf.get(i.id) ?? []).filter((a) => a.kind === 'resolved').map((a) => a.idempotencyKey)));
      if (keys.size !== 1) add(CHECKS[4], { group: g.index, incidentId: g.opened.incidentId, what: `${keys.size} resolve notices: ${[...keys].join(', ')}` });
    }

    for (const problem of timelineProblems(g, incidents, arrivalsOf)) add(CHECKS[5], { group: g.index, incidentId: g.opened.incidentId, what: problem });
  }

  const counts = Object.fromEntries(CHECKS.map((c) => [c, 0])) as Record<CheckName, number>;
  // Per incident (or key) once, however many problems it has.
  const seen = new Set<string>();
  for (const f of findings) {
    const k = `${f.check}|${f.check === CHECKS[2] ? f.what : (f.incidentId ?? f.group)}`;
    if (seen.has(k)) continue;
    seen.add(k);
    counts[f.check as CheckName]++;
  }
  return { counts, findings, latency };
}

/**
 * The audit timeline against what happened. A group must have exactly one incident (the load never
 * re-fires a resolved group), and its timeline:
 * - one "opened";
 * - sequence numbers 1…n with no gap (a gap is a lost event; the store refuses a repeated seq);
 * - "acknowledged": exactly one if the ack was answered 200 or "already acknowledged", none if
 *   nobody acked, at most one if the ack ended otherwise (a 503'd try may still have applied);
 * - "resolved": exactly one if the resolve post was accepted, and the row's status is `resolved`;
 * - "alerts.updated": one per accepted change plus one for the resolve (unchanged re-sends leave none);
 * - per message kind: every key the receiver got has an outcome event ("notified", or
 *   "notify.cancelled" for a page cut off by an ack), every "notified" has an arrival, and no
 *   (kind, step) has two outcomes.
 */
function timelineProblems(g: GroupRecord, incidents: AuditIncident[], arrivalsOf: Map<string, Arrival[]>): string[] {
  if (incidents.length !== 1) return incidents.length === 0 ? [] : [`${incidents.length} incidents for one group: ${incidents.map((i) => i.id).join(', ')}`];
  const inc = incidents[0];
  const problems: string[] = [];
  const count = (kind: string) => inc.events.filter((e) => e.kind === kind).length;
  const expect = (kind: string, ok: (n: number) => boolean, want: string) => {
    const n = count(kind);
    if (!ok(n)) problems.push(`${n}× "${kind}", expected ${want}`);
  };
  expect('opened', (n) => n === 1, '1');
  const seqs = inc.events.map((e) => e.seq).filter((s) => s < EXTERNAL_SEQ_BASE);
  const missing = seqs.length ? Array.from({ length: Math.max(...seqs) }, (_, i) => i + 1).filter((s) => !seqs.includes(s)) : [];
  if (missing.length) problems.push(`timeline has no events with seq ${missing.join(', ')}`);
  const ackApplied = g.ack?.answer === 'ok' || g.ack?.answer === 'already-acknowledged';
  if (ackApplied) expect('acknowledged', (n) => n === 1, '1 (the ack was answered)');
  else if (!g.ack) expect('acknowledged', (n) => n === 0, '0 (nobody acked)');
  else expect('acknowledged', (n) => n <= 1, 'at most 1');
  expect('resolved', (n) => n === (g.resolved ? 1 : 0), g.resolved ? '1' : '0');
  if (g.resolved && inc.status !== 'resolved') problems.push(`row status ${inc.status} after an accepted resolve`);
  const updates = g.changes.length + (g.resolved ? 1 : 0);
  expect('alerts.updated', (n) => n === updates, `${updates} (${g.changes.length} change(s)${g.resolved ? ' + the resolve' : ''})`);

  const arrived = arrivalsOf.get(inc.id) ?? [];
  for (const kind of ['firing', 'escalated', 'acknowledged', 'resolved']) {
    const outcomes = inc.events.filter((e) => (e.kind === 'notified' || e.kind === 'notify.cancelled' || e.kind === 'notify.failed') && e.details.kind === kind);
    const notified = outcomes.filter((e) => e.kind === 'notified').length;
    const cancelled = outcomes.filter((e) => e.kind === 'notify.cancelled').length;
    const keys = new Set(arrived.filter((a) => a.kind === kind).map((a) => a.idempotencyKey)).size;
    if (notified > keys) problems.push(`${notified} "notified" ${kind} event(s) but ${keys} ${kind} message(s) arrived`);
    if (keys > notified + cancelled) problems.push(`${keys} ${kind} message(s) arrived but only ${notified + cancelled} outcome event(s)`);
    const perSend = new Map<string, number>();
    for (const e of outcomes) perSend.set(String(e.details.step ?? '-'), (perSend.get(String(e.details.step ?? '-')) ?? 0) + 1);
    for (const [step, n] of perSend) if (n > 1) problems.push(`${n} outcome events for the ${kind} send of step ${step}`);
  }
  return problems;
}
