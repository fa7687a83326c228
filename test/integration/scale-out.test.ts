import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { eventually, postAlert, tenantYaml, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { spawnKlaxon, type KlaxonProcess } from '../support/klaxonProcess';
import { mostInAnyWindow } from '../support/rateWindows';

/**
 * Horizontal scale (issue #11): two `klaxon start --role http` and two `--role worker` processes
 * against one Temporal server, one Postgres, one task queue; the vendor is a local HTTP endpoint.
 * Both workers run incidents, no idempotency key is paged twice, the receiver's rate limit holds
 * for the two workers together, and kill -9 of a worker hands its incidents, parked on an
 * escalation wait, to the survivor, which pages their next step on time.
 */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// Enough that Temporal giving all of them to one worker is not a coin flip (2 × 2^-12).
const INCIDENTS = 12;
const WAIT_S = 15;
// The receiver's limit, shared by both workers (src/notifiers/sharedRateLimiter.ts).
const PER = 6;
const EVERY_MS = 1000;

type Page = { key: string; kind: string; incident: string; at: number };

/** A worker's successful deliveries for the tenant, from its own /metrics. */
async function delivered(worker: KlaxonProcess, tenant: string): Promise<number> {
  const text = await (await fetch(`${worker.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('klaxon_notifications_total{') && l.includes(`tenant="${tenant}"`) && l.includes('outcome="success"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('two HTTP and two worker processes on one Temporal and one Postgres', () => {
  const tenant = uniqueTenant('scale');
  const taskQueue = `test-scale-${randomUUID()}`;
  let vendor: Awaited<ReturnType<typeof startReceiver>>;
  let procs: KlaxonProcess[] = [];
  let connection: Connection;
  let temporal: Client;

  beforeAll(async () => {
    vendor = await startReceiver();
    connection = await Connection.connect({ address: process.env.KLAXON_TEST_TEMPORAL_ADDRESS });
    temporal = new Client({ connection, namespace: 'default' });
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await connection?.close();
    await vendor?.close();
  });

  test('both workers page, no key twice, one rate limit between them, and a killed worker’s parked incidents escalate on time via the survivor', async () => {
    const configFile = join(mkdtempSync(join(tmpdir(), 'klaxon-scale-')), 'tenants.yaml');
    writeFileSync(
      configFile,
      tenantYaml(
        tenant,
        `    receivers:
      ops: { type: webhook, url: "\${SCALE_URL}", rateLimit: { per: ${PER}, every: ${EVERY_MS}ms } }
    escalationPolicies:
      p: { steps: [{ notify: { receivers: [ops] } }, { wait: ${WAIT_S}s }, { notify: { receivers: [ops] } }, { wait: 1h }] }
    defaultPolicy: p
`,
      ),
    );
    const env = { DATABASE_URL, KLAXON_CONFIG: configFile, KLAXON_TASK_QUEUE: taskQueue, SCALE_URL: vendor.url, HOOK: 'hook', API: 'api' };
    procs = await Promise.all([spawnKlaxon('http', env), spawnKlaxon('http', env), spawnKlaxon('worker', env), spawnKlaxon('worker', env)]);
    const [http1, http2, w1, w2] = procs;
    // On a timeout, what each process said (read then, not when the wait began).
    const dump = () => procs.map((p) => `--- ${p.role} ${p.pid}:\n${p.output().slice(-3000)}`).join('\n');
    const waitFor = <T>(fn: () => Promise<T | undefined | false>, ms: number, what: string) =>
      eventually(fn, ms, what).catch((err: Error) => {
        throw new Error(`${err.message}\n${dump()}`);
      });
    for (const h of [http1, http2]) await waitFor(async () => (await fetch(`${h.url}/readyz`)).status === 200, 60_000, `${h.role} ${h.pid} ready`);
    // Both workers poll the task queue before the first alert, so Temporal has both to choose from.
    await waitFor(async () => {
      const s = (await (await fetch(`${http1.url}/api/v1/status`, { headers: { authorization: 'Bearer api' } })).json()) as { workers: { workflowPollers: Array<{ identity: string }> } };
      const ids = s.workers.workflowPollers.map((p) => p.identity);
      return [w1, w2].every((w) => ids.some((id) => id.startsWith(`${w.pid}@`)));
    }, 60_000, 'both workers polling');

    // Alerts arrive at either HTTP replica.
    const posted = new Map<string, { workflowId: string; at: number }>();
    await Promise.all(
      Array.from({ length: INCIDENTS }, async (_, i) => {
        const at = Date.now();
        const r = (await postAlert((i % 2 ? http2 : http1).url, tenant, { groupKey: `{}:{scale${i}}`, labels: { alertname: 'ScaleOut', service: `svc${i}` }, fingerprint: `f${i}` })) as { incidentId: string; workflowId?: string };
        posted.set(r.incidentId, { workflowId: r.workflowId ?? '', at });
      }),
    );
    const pages = (): Page[] =>
      vendor.received.map((r) => {
        const b = JSON.parse(r.body) as { kind: string; incident: { id: string } };
        return { key: String(r.headers['idempotency-key']), kind: b.kind, incident: b.incident.id, at: r.at };
      });
    await waitFor(async () => new Set(pages().map((p) => p.key)).size >= INCIDENTS, 30_000, 'the first page of every incident');

    // Both workers ran incidents (each process's own metrics, counted once the vendor has answered).
    const before = await waitFor(async () => {
      const n = { w1: await delivered(w1, tenant), w2: await delivered(w2, tenant) };
      return n.w1 + n.w2 === INCIDENTS ? n : undefined;
    }, 10_000, 'both workers to count the first pages');
    expect(before.w1).toBeGreaterThan(0);
    expect(before.w2).toBeGreaterThan(0);

    // kill -9 the busier worker while every incident waits for its second step.
    const [victim, survivor] = before.w1 >= before.w2 ? [w1, w2] : [w2, w1];
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const goneAt = Date.now();
    const lastPost = Math.max(...[...posted.values()].map((p) => p.at));
    expect(killedAt).toBeLessThan(lastPost + WAIT_S * 1000 - 5000);

    await waitFor(async () => new Set(pages().map((p) => p.key)).size >= 2 * INCIDENTS, WAIT_S * 1000 + 30_000, 'the second page of every incident');
    // The survivor made every second page (the victim is gone), and reports them in its own metrics.
    await waitFor(async () => (await delivered(survivor, tenant)) === (survivor === w1 ? before.w1 : before.w2) + INCIDENTS, 10_000, "the survivor's metrics");

    const all = pages();
    // Nothing paged twice: one delivery per idempotency key, two keys per incident.
    const perKey = new Map<string, number>();
    for (const p of all) perKey.set(p.key, (perKey.get(p.key) ?? 0) + 1);
    expect([...perKey.values()].filter((n) => n > 1)).toEqual([]);
    expect(perKey.size).toBe(2 * INCIDENTS);
    expect(new Set(all.map((p) => p.incident))).toEqual(new Set(posted.keys()));

    // On time: each incident's second page came WAIT_S after its alert, late by no more than the
    // survivor taking over and the shared rate limit's queue (12 pages at 6 per second).
    const lateness = [...posted].map(([id, p]) => {
      const second = all.filter((x) => x.incident === id).sort((a, b) => a.at - b.at)[1];
      return second.at - p.at - WAIT_S * 1000;
    });
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...lateness)).toBeLessThan(8000);

    // One rate limit for the two workers together, as the vendor counts it.
    expect(mostInAnyWindow(all.map((p) => p.at), EVERY_MS)).toBeLessThanOrEqual(PER);

    // Per incident, from Temporal's history: incidents the victim ran before the kill were carried on by the survivor.
    const moved: string[] = [];
    for (const { workflowId } of posted.values()) {
      const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
      const tasks = (history.events ?? [])
        .filter((e) => e.workflowTaskStartedEventAttributes)
        .map((e) => ({ identity: e.workflowTaskStartedEventAttributes!.identity ?? '', at: Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6) }));
      const ranBefore = new Set(tasks.filter((t) => t.at < killedAt).map((t) => t.identity.split('@')[0]));
      const ranAfter = new Set(tasks.filter((t) => t.at > goneAt).map((t) => t.identity.split('@')[0]));
      expect([...ranAfter]).toEqual([String(survivor.pid)]);
      if (ranBefore.has(String(victim.pid))) moved.push(workflowId);
    }
    expect(moved.length).toBeGreaterThan(0);
  }, 120_000);
});
