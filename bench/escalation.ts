/**
 * Escalation timers at scale (issues 3 and 11): N open incidents parked on a durable escalation timer.
 * Reports the worker's memory as they park, and, once all are parked, the timers of probe incidents:
 * how long after its due time (first page + wait) each second page arrived at a local receiver in
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
import { runClosedLoop, runPaced } from './support/load';
import { ms, percentile } from './support/stats';
import { cachedWorkflowsFor } from '../src/temporal/workerMemory';
import { scaleResults } from './support/scale';

const MB = 1024 * 1024;

/** Probe incidents started once all are parked: their timers measure lateness in steady state. */
const PROBES = 300;
const PROBE_RATE = 5;
const PROBE_WAIT_SECONDS = 30;

export async function benchEscalation(opts: { n?: number } = {}): Promise<string> {
  const n = opts.n ?? Number(process.env.BENCH_INCIDENTS ?? 10_000);
  const receiver = await startBenchReceiver();
  // Parked incidents wait a day (their timers do not fire during the run); probes wait 30 s.
  const r = parseConfig(
    `
tenants:
  bench:
    webhook: { token: "\${T}" }
    api: { token: "\${T}" }
    receivers:
      pager: { type: webhook, url: "\${URL}" }
    escalationPolicies:
      parked: { steps: [{ notify: { receivers: [pager] } }, { wait: 24h }, { notify: { receivers: [pager] } }] }
      probe: { steps: [{ notify: { receivers: [pager] } }, { wait: ${PROBE_WAIT_SECONDS}s }, { notify: { receivers: [pager] } }] }
    routes:
      - { matchers: ['probe="yes"'], policy: probe }
    defaultPolicy: parked
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
  const run = randomUUID().slice(0, 8);
  const start = (i: number, probe: boolean) => {
    const groupKey = `{}:{bench="${run}-${probe ? 'probe' : 'parked'}-${i}"}`;
    const labels: Record<string, string> = { alertname: `Timer${i % 50}`, service: 'bench', severity: 'warning', ...(probe ? { probe: 'yes' } : {}) };
    const input: IncidentInput = {
      tenant: 'bench',
      groupKey,
      alerts: [{ fingerprint: `f${i}`, status: 'firing', labels, annotations: {}, startsAt: new Date().toISOString() }],
      commonLabels: labels,
      receivedAt: new Date().toISOString(),
    };
    return klaxon.client.workflow.start<typeof incidentWorkflow>(INCIDENT_WORKFLOW, { taskQueue: env.KLAXON_TASK_QUEUE, workflowId: incidentWorkflowId('bench', groupKey), args: [input] }).then(() => undefined);
  };
  try {
    if (global.gc) global.gc();
    const before = process.memoryUsage.rss();
    const t0 = performance.now();
    const started = await runClosedLoop(n, 32, (i) => start(i, false));
    // Every incident has paged once and is now parked on its day-long timer.
    const firstPages = await receiver.waitFor(n, 1_800_000);
    const parkedAfterS = (performance.now() - t0) / 1000;
    if (global.gc) global.gc();
    await new Promise((r) => setTimeout(r, 600));
    const parked = process.memoryUsage();
    await receiver.take();
    process.stderr.write(`[bench:escalation] ${n} parked after ${parkedAfterS.toFixed(0)} s; probes…\n`);

    // Probes, paced as incidents arrive in a quiet hour, with all of the above parked.
    const probes = await runPaced(PROBES, PROBE_RATE, (i) => start(i, true));
    await receiver.waitFor(2 * PROBES, 120_000 + PROBE_WAIT_SECONDS * 1000);
    const arrivals = await receiver.take();
    const afterProbes = process.memoryUsage.rss();
    const byIncident = new Map<string, number[]>();
    for (const a of arrivals) if (a.incidentId) byIncident.set(a.incidentId, [...(byIncident.get(a.incidentId) ?? []), a.at]);
    const lateness: number[] = [];
    const firstPage: number[] = [];
    const sentAt = probes.samples.map((x) => x.sentAt).sort((a, b) => a - b);
    for (const times of byIncident.values()) {
      times.sort((a, b) => a - b);
      if (times.length >= 2) lateness.push(Math.max(0, times[1] - times[0] - PROBE_WAIT_SECONDS * 1000));
    }
    // Start → first page per probe: arrivals matched to starts in order (one probe at a time in flight at 5/s).
    const firsts = [...byIncident.values()].map((t) => t[0]).sort((a, b) => a - b);
    for (let i = 0; i < Math.min(firsts.length, sentAt.length); i++) firstPage.push(firsts[i] - sentAt[i]);
    const mb = (b: number | undefined) => (b === undefined ? 'n/a' : `${(b / MB).toFixed(0)} MB`);
    const perIncident = (atMark.get(n)! - (atMark.get(marks[0]) ?? before)) / Math.max(1, n - marks[0]);
    Object.assign(scaleResults, {
      parkedN: n,
      parkedRssMb: parked.rss / MB,
      parkedRssAt1000Mb: (atMark.get(marks[0]) ?? Number.NaN) / MB,
      parkedRssPeakMb: peak / MB,
      cachedWorkflows: cachedWorkflowsFor(env.KLAXON_WORKER_MEMORY),
      latenessP99Ms: percentile(lateness, 99),
    });
    return [
      '## Escalation timers',
      '',
      `${n.toLocaleString('en-US')} incidents started directly with the Temporal client at ${(n / (started.elapsedMs / 1000)).toFixed(0)}/s (${started.errors} errors), each paged once and then parked on a day-long wait; all paged after ${parkedAfterS.toFixed(0)} s (${(n / parkedAfterS).toFixed(0)}/s). ` +
        `Then ${PROBES} probe incidents at ${PROBE_RATE}/s (page → wait ${PROBE_WAIT_SECONDS}s → page) measure timers with all of them parked.`,
      `Embedded Temporal dev server, ${klaxon.db.describe.startsWith('pglite') ? 'PGlite' : 'Postgres'} audit store, receiver in another process. Worker memory budget ${(env.KLAXON_WORKER_MEMORY / MB).toFixed(0)} MiB: ${cachedWorkflowsFor(env.KLAXON_WORKER_MEMORY)} workflows cached (KLAXON_WORKER_MEMORY); the others replay their history when they wake. NODE_OPTIONS: ${process.env.NODE_OPTIONS || '(none)'}.`,
      '',
      '| measure | value |',
      '| --- | ---: |',
      `| process RSS before the run (HTTP server, client, worker, bundle loaded) | ${mb(before)} |`,
      ...marks.map((m) => `| RSS as the ${m.toLocaleString('en-US')}th incident parked | ${mb(atMark.get(m))} |`),
      `| RSS with all ${n.toLocaleString('en-US')} parked, after a GC of the main thread | ${mb(parked.rss)} (main JS heap ${mb(parked.heapUsed)}) |`,
      `| RSS after the probes | ${mb(afterProbes)} |`,
      `| RSS peak over the run | ${mb(peak)} |`,
      `| RSS added per incident beyond the first ${marks[0].toLocaleString('en-US')} | ${(perIncident / 1024).toFixed(1)} KB |`,
      `| probes: first pages / second pages | ${firstPage.length} / ${lateness.length} of ${PROBES} |`,
      `| probe start → first page p50 / p99 | ${ms(percentile(firstPage, 50))} / ${ms(percentile(firstPage, 99))} |`,
      `| probe timer lateness p50 (second page − first page − wait) | ${ms(percentile(lateness, 50))} |`,
      `| probe timer lateness p99 | ${ms(percentile(lateness, 99))} |`,
      `| probe timer lateness max | ${ms(Math.max(...lateness))} |`,
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
