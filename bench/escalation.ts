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

const MB = 1024 * 1024;

export async function benchEscalation(opts: { n?: number; waitSeconds?: number } = {}): Promise<string> {
  const n = opts.n ?? Number(process.env.BENCH_INCIDENTS ?? 1000);
  const waitSeconds = opts.waitSeconds ?? 60;
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
  });
  const klaxon = await startKlaxon({ env, config: r.config, log: createLogger({ level: 'warn' }) });
  try {
    const heapBefore = process.memoryUsage();
    const run = randomUUID().slice(0, 8);
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
    await receiver.waitFor(n, 120_000);
    if (global.gc) global.gc();
    const parked = process.memoryUsage();
    await receiver.waitFor(2 * n, 120_000 + waitSeconds * 1000);
    const arrivals = await receiver.take();
    const byIncident = new Map<string, number[]>();
    for (const a of arrivals) if (a.incidentId) byIncident.set(a.incidentId, [...(byIncident.get(a.incidentId) ?? []), a.at]);
    const lateness: number[] = [];
    for (const times of byIncident.values()) {
      if (times.length < 2) continue;
      times.sort((a, b) => a - b);
      lateness.push(Math.max(0, times[1] - times[0] - waitSeconds * 1000));
    }
    const complete = lateness.length;
    return [
      `${n} incidents started directly with the Temporal client (${started.errors} errors), each: page → wait ${waitSeconds}s → page.`,
      `Embedded Temporal dev server, ${klaxon.db.describe.startsWith('pglite') ? 'PGlite' : 'Postgres'} audit store, worker and receiver on this machine.`,
      '',
      '| measure | value |',
      '| --- | ---: |',
      `| worker process RSS with ${n} incidents parked on timers | ${(parked.rss / MB).toFixed(0)} MB (before: ${(heapBefore.rss / MB).toFixed(0)} MB) |`,
      `| JS heap used, parked | ${(parked.heapUsed / MB).toFixed(0)} MB |`,
      `| incidents whose second page arrived | ${complete} / ${n} |`,
      `| timer lateness p50 (second page − first page − wait) | ${ms(percentile(lateness, 50))} |`,
      `| timer lateness p99 | ${ms(percentile(lateness, 99))} |`,
      `| timer lateness max | ${ms(Math.max(...lateness))} |`,
    ].join('\n');
  } finally {
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
