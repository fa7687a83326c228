/**
 * Escalation timers at scale (issue 3): N open incidents each waiting on a durable escalation timer.
 * Reports the worker's memory with all of them parked, and the lateness of fired timers: how long
 * after its due time (first page + wait) each second page left, measured at a local receiver in
 * another process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { envSchema } from '../src/config/env';
import { parseConfig } from '../src/config/load';
import { createLogger } from '../src/logger';
import { startKlaxon } from '../src/runtime';
import { freePort } from '../src/temporal/devServer';
import { incidentWorkflowId } from '../src/incident/ids';
import { INCIDENT_WORKFLOW, type IncidentInput } from '../workflows/definitions';
import type { incidentWorkflow } from '../workflows/incident';
import { startBenchReceiver } from './support/receiver';
import { runClosedLoop } from './support/load';
import { ms, percentile } from './support/stats';
import { cachedWorkflowsFor } from '../src/temporal/workerMemory';
import { scaleResults } from './support/scale';

const MB = 1024 * 1024;

export async function benchEscalation(opts: { n?: number; waitSeconds?: number } = {}): Promise<string> {
  const n = opts.n ?? Number(process.env.BENCH_INCIDENTS ?? 10_000);
  // Long enough that every incident is parked before the first timers fire (starts run at about
  // 60–100/s here), so "RSS with n parked" really has n parked.
  const waitSeconds = opts.waitSeconds ?? Math.max(60, Math.ceil(n / 40));
  const receiver = await startBenchReceiver();
  const r = parseConfig(
    `
tenants:
  bench:
    webhook: { token: "\${T}" }
    api: { token: "\${T}" }
    receivers:
      pager: { type: webhook, url: "\${URL}" }
    escalationPolicies:
      timer:
        steps:
          - notify: { receivers: [pager] }
          - wait: ${waitSeconds}s
          - notify: { receivers: [pager] }
    defaultPolicy: timer
`,
    { T: 'bench-token', URL: receiver.url },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const env = envSchema.parse({
    PORT: '0',
    HOST: '127.0.0.1',
    KLAXON_DATA_DIR: mkdtempSync(join(tmpdir(), 'klaxon-bench-esc-')),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: '0',
    KLAXON_TASK_QUEUE: `bench-esc-${randomUUID()}`,
    DATABASE_URL: process.env.DATABASE_URL,
    ...(process.env.KLAXON_WORKER_MEMORY ? { KLAXON_WORKER_MEMORY: process.env.KLAXON_WORKER_MEMORY } : {}),
  });
  const klaxon = await startKlaxon({ env, config: r.config, log: createLogger({ level: 'warn' }) });
  // RSS of this process (HTTP server, client and worker; the Temporal server is another process),
  // sampled through the run: the peak, and the value as the parked count passes each mark.
  const marks = [1000, 2500, 5000, 10_000, 20_000].filter((m) => m < n).concat(n);
  const atMark = new Map<number, number>();
  let peak = 0;
  let paged = 0;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    peak = Math.max(peak, rss);
    for (const m of marks)
      if (paged >= m && !atMark.has(m)) {
        atMark.set(m, rss);
        process.stderr.write(`[bench:escalation] ${paged} pages, RSS ${(rss / MB).toFixed(0)} MB\n`);
      }
  }, 250);
  const counter = setInterval(() => void receiver.count().then((c) => (paged = c), () => undefined), 250);
  try {
    if (global.gc) global.gc();
    const before = process.memoryUsage.rss();
    const run = randomUUID().slice(0, 8);
    const t0 = performance.now();
    const started = await runClosedLoop(n, 32, async (i) => {
      const groupKey = `{}:{bench="${run}-${i}"}`;
      const labels = { alertname: `Timer${i % 50}`, service: 'bench', severity: 'warning' };
      const input: IncidentInput = {
        tenant: 'bench',
        groupKey,
        alerts: [{ fingerprint: `f${i}`, status: 'firing', labels, annotations: {}, startsAt: new Date().toISOString() }],
        commonLabels: labels,
        receivedAt: new Date().toISOString(),
      };
      await klaxon.client.workflow.start<typeof incidentWorkflow>(INCIDENT_WORKFLOW, { taskQueue: env.KLAXON_TASK_QUEUE, workflowId: incidentWorkflowId('bench', groupKey), args: [input] });
    });
    // Every incident has paged once and is now parked on its timer.
    const firstPages = await receiver.waitFor(n, 600_000);
    const parkedAfterS = (performance.now() - t0) / 1000;
    if (global.gc) global.gc();
    await new Promise((r) => setTimeout(r, 600));
    const parked = process.memoryUsage();
    const secondPages = await receiver.waitFor(2 * n, 600_000 + waitSeconds * 1000);
    const arrivals = await receiver.take();
    const byIncident = new Map<string, number[]>();
    for (const a of arrivals) if (a.incidentId) byIncident.set(a.incidentId, [...(byIncident.get(a.incidentId) ?? []), a.at]);
    const lateness: number[] = [];
    for (const times of byIncident.values()) {
      if (times.length < 2) continue;
      times.sort((a, b) => a - b);
      const late = times[1] - times[0] - waitSeconds * 1000;
      // The wait starts when the first step is dispatched, before its delivery: below zero is on time.
      lateness.push(Math.max(0, late));
    }
    Object.assign(scaleResults, {
      parkedN: n,
      parkedRssMb: parked.rss / MB,
      parkedRssAt1000Mb: (atMark.get(marks[0]) ?? Number.NaN) / MB,
      cachedWorkflows: cachedWorkflowsFor(env.KLAXON_WORKER_MEMORY),
      latenessP99Ms: percentile(lateness, 99),
    });
    const mb = (b: number | undefined) => (b === undefined ? 'n/a' : `${(b / MB).toFixed(0)} MB`);
    const perIncident = (atMark.get(n)! - (atMark.get(marks[0]) ?? before)) / Math.max(1, n - marks[0]);
    return [
      `${n} incidents started directly with the Temporal client at ${(n / (started.elapsedMs / 1000)).toFixed(0)}/s (${started.errors} errors), each: page → wait ${waitSeconds}s → page; all ${n} parked after ${parkedAfterS.toFixed(0)} s.`,
      `Embedded Temporal dev server, ${klaxon.db.describe.startsWith('pglite') ? 'PGlite' : 'Postgres'} audit store, receiver in another process. Worker memory budget ${(env.KLAXON_WORKER_MEMORY / MB).toFixed(0)} MiB: ${cachedWorkflowsFor(env.KLAXON_WORKER_MEMORY)} workflows cached (KLAXON_WORKER_MEMORY); the rest replay their history when their timer fires.`,
      '',
      '| measure | value |',
      '| --- | ---: |',
      `| process RSS before the run (HTTP server, client, worker, bundle loaded) | ${mb(before)} |`,
      ...marks.map((m) => `| RSS as the ${m.toLocaleString('en-US')}th incident parked | ${mb(atMark.get(m))} |`),
      `| RSS with all ${n.toLocaleString('en-US')} parked, after GC | ${mb(parked.rss)} (JS heap ${mb(parked.heapUsed)}) |`,
      `| RSS peak over the run | ${mb(peak)} |`,
      `| RSS added per incident beyond the first ${marks[0].toLocaleString('en-US')} | ${(perIncident / 1024).toFixed(1)} KB |`,
      `| first pages / second pages arrived | ${firstPages} / ${secondPages} of ${n} each |`,
      `| timer lateness p50 (second page − first page − wait) | ${ms(percentile(lateness, 50))} |`,
      `| timer lateness p99 | ${ms(percentile(lateness, 99))} |`,
      `| timer lateness max | ${ms(Math.max(...lateness))} |`,
    ].join('\n');
  } finally {
    clearInterval(sampler);
    clearInterval(counter);
    await klaxon.stop();
    await receiver.close();
  }
}

if (require.main === module) {
  benchEscalation().then(
    (md) => console.log(md),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
