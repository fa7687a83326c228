/**
 * Alertmanager-shaped load, paced open-loop at a few new groups a second. Each group lives its own
 * life, one request at a time (as Alertmanager sends a group): it fires, is re-sent unchanged, may
 * change (an alert added), may be acknowledged through the API by a "person" who waits for the page
 * first, and resolves. A post that fails (the HTTP process is down, a 5xx) is retried with backoff
 * like Alertmanager does; only a 2xx counts as accepted. Everything that happened is recorded for
 * the checks.
 */
import { createHash } from 'node:crypto';
import type { AlertmanagerPayload } from '../../src/alertmanager/payload';
import { payloadFactory } from '../support/payloads';
import { wallNow } from '../support/stats';
import type { Arrivals } from './arrivals';
import { sleep } from './cluster';

export interface LoadPlan {
  groupsPerSecond: number;
  /** New groups are opened for this long. */
  durationMs: number;
  /** From the firing post's answer: the first unchanged re-send, the change, the second re-send. */
  resendAfterMs: [number, number];
  changeShare: number;
  changeAfterMs: [number, number];
  /** Share of groups a person acknowledges, and how long after the first page they do. */
  ackShare: number;
  ackAfterPageMs: [number, number];
  /** The group resolves this long after it fired — but not before its first page (and the ack, if any) has happened. */
  lifetimeMs: [number, number];
}

/** One `POST` that ended in a 2xx: when the accepted attempt was sent, when its answer came. */
export interface Accepted {
  sentAt: number;
  answeredAt: number;
  attempts: number;
  incidentId?: string;
  outcome?: string;
}

export type AckAnswer = 'ok' | 'already-acknowledged' | 'resolved' | 'gave-up';

export interface GroupRecord {
  index: number;
  groupKey: string;
  opened?: Accepted;
  resends: Accepted[];
  changes: Accepted[];
  resolved?: Accepted;
  ack?: { firstTriedAt: number; answeredAt?: number; answer?: AckAnswer; attempts: number; unavailable: number };
  /** Posts that never got a 2xx before the load's deadline (what they were and the last error). */
  lost: string[];
}

export interface Target {
  baseUrl: string;
  tenant: string;
  hookToken: string;
  apiToken: string;
}

/** Runs the whole load; resolves when every group has resolved (or its posts gave up at `giveUpAt`). */
export async function runLoad(plan: LoadPlan, target: Target, arrivals: Arrivals, run: string, log: (s: string) => void): Promise<GroupRecord[]> {
  const factory = payloadFactory(run);
  const random = seeded(run);
  const n = Math.round((plan.durationMs / 1000) * plan.groupsPerSecond);
  const groups: GroupRecord[] = [];
  const lives: Promise<void>[] = [];
  const started = Date.now();
  // Nobody waits for ever: a post or ack still failing this long after the load is lost.
  const giveUpAt = started + plan.durationMs + plan.lifetimeMs[1] + plan.ackAfterPageMs[1] + 120_000;
  for (let i = 0; i < n; i++) {
    const due = started + (i * 1000) / plan.groupsPerSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    const first = factory.make(i);
    const g: GroupRecord = { index: i, groupKey: first.groupKey, resends: [], changes: [], lost: [] };
    groups.push(g);
    const life = {
      resend: pick(random, plan.resendAfterMs),
      change: random() < plan.changeShare ? pick(random, plan.changeAfterMs) : undefined,
      ack: random() < plan.ackShare ? pick(random, plan.ackAfterPageMs) : undefined,
      lifetime: pick(random, plan.lifetimeMs),
    };
    lives.push(groupLife(g, first, life, target, arrivals, giveUpAt).catch((err: Error) => log(`group ${i}: ${err.message}`)));
    if (i % 100 === 99) log(`load: ${i + 1}/${n} groups opened`);
  }
  await Promise.all(lives);
  return groups;
}

async function groupLife(
  g: GroupRecord,
  payload: AlertmanagerPayload,
  life: { resend: number; change?: number; ack?: number; lifetime: number },
  target: Target,
  arrivals: Arrivals,
  giveUpAt: number,
): Promise<void> {
  const post = async (what: string, body: AlertmanagerPayload) => {
    const r = await postUntilAccepted(`${target.baseUrl}/webhook/${target.tenant}`, target.hookToken, body, giveUpAt);
    if ('error' in r) g.lost.push(`${what}: ${r.error}`);
    return 'error' in r ? undefined : r;
  };
  g.opened = await post('firing', payload);
  if (!g.opened) return;
  const t0 = g.opened.answeredAt;
  const id = g.opened.incidentId!;
  const acked = life.ack === undefined ? Promise.resolve() : acknowledge(g, id, life.ack, target, arrivals, giveUpAt);

  await sleep(Math.max(0, t0 + life.resend - wallNow()));
  const resent = await post('re-send', payload);
  if (resent) g.resends.push(resent);
  if (life.change !== undefined) {
    await sleep(Math.max(0, t0 + life.resend + life.change - wallNow()));
    payload = withAddedAlert(payload);
    const changed = await post('change', payload);
    if (changed) g.changes.push(changed);
  }
  await sleep(Math.max(0, t0 + life.lifetime - wallNow()));
  // Resolving before Klaxon paged would make "incident without its first page" unanswerable:
  // the group stays firing until its page came (or the load gives up on it).
  await arrivals.waitFirstPage(id, giveUpAt);
  await acked;
  g.resolved = await post('resolve', resolvedPayload(payload));
}

/**
 * A person acknowledging: `afterPageMs` after the first page arrived, POST …/ack until it is
 * answered. 503 (worker or Temporal unreachable) waits out Retry-After and tries again; a 409
 * "already acknowledged" means an earlier unanswered try went through.
 */
async function acknowledge(g: GroupRecord, id: string, afterPageMs: number, target: Target, arrivals: Arrivals, giveUpAt: number): Promise<void> {
  const page = await arrivals.waitFirstPage(id, giveUpAt);
  if (!page) return;
  await sleep(Math.max(0, page.at + afterPageMs - wallNow()));
  const ack: NonNullable<GroupRecord['ack']> = { firstTriedAt: wallNow(), attempts: 0, unavailable: 0 };
  g.ack = ack;
  while (wallNow() < giveUpAt) {
    ack.attempts++;
    let wait = 1000;
    try {
      const res = await fetch(`${target.baseUrl}/api/v1/incidents/${id}/ack`, {
        method: 'POST',
        headers: { authorization: `Bearer ${target.apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ actor: 'chaos-oncall' }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      ack.answeredAt = wallNow();
      if (res.status === 200) return void (ack.answer = 'ok');
      if (res.status === 409) return void (ack.answer = /already acknowledged/.test(text) ? 'already-acknowledged' : 'resolved');
      if (res.status === 503) {
        ack.unavailable++;
        wait = Number(res.headers.get('retry-after') ?? '5') * 1000;
      }
    } catch {
      // The HTTP process is down: try again shortly.
    }
    await sleep(wait);
  }
  ack.answer = 'gave-up';
}

/** POSTs until a 2xx (5xx and connection errors back off from 500 ms to 5 s); a 4xx is final. */
async function postUntilAccepted(url: string, token: string, body: AlertmanagerPayload, giveUpAt: number): Promise<Accepted | { error: string }> {
  let backoff = 500;
  let attempts = 0;
  let error = 'not tried';
  while (wallNow() < giveUpAt) {
    attempts++;
    const sentAt = wallNow();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (res.ok) {
        const inc = (JSON.parse(text) as { incidents: Array<{ incidentId?: string; outcome: string }> }).incidents[0];
        return { sentAt, answeredAt: wallNow(), attempts, incidentId: inc?.incidentId, outcome: inc?.outcome };
      }
      error = `${res.status} ${text.slice(0, 200)}`;
      if (res.status < 500) return { error };
    } catch (err) {
      error = (err as Error).message;
    }
    await sleep(backoff);
    backoff = Math.min(5000, backoff * 2);
  }
  return { error: `gave up after ${attempts} attempts: ${error}` };
}

/** The group with one more alert of the same severity: a change, but no re-route. */
function withAddedAlert(p: AlertmanagerPayload): AlertmanagerPayload {
  const base = p.alerts[0];
  const labels = { ...base.labels, instance: `${base.labels.instance}-extra` };
  const fingerprint = createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 16);
  return { ...p, alerts: [...p.alerts, { ...base, labels, fingerprint, startsAt: new Date().toISOString() }] };
}

function resolvedPayload(p: AlertmanagerPayload): AlertmanagerPayload {
  const endsAt = new Date().toISOString();
  return { ...p, status: 'resolved', alerts: p.alerts.map((a) => ({ ...a, status: 'resolved' as const, endsAt })) };
}

function pick(random: () => number, [lo, hi]: [number, number]): number {
  return lo + random() * (hi - lo);
}

/** mulberry32 seeded from the run name: the same run name gives the same group lives. */
function seeded(run: string): () => number {
  let a = createHash('sha256').update(run).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
