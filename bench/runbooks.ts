/**
 * What a runbook adds to an incident (issue #9): the first page's latency without runbooks, with
 * runbooks loaded that do not match, and with one that matches and runs; how soon a matching
 * runbook acts; and what one `http` step costs against the same request made directly.
 *
 * Incidents are started directly with the Temporal client at a steady rate, interleaved across the
 * three kinds, so the kinds share the machine's noise. Pages and the runbook's calls go to one receiver in another
 * process, which timestamps each arrival.
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
import { projectRoot } from '../src/paths';
import { INCIDENT_WORKFLOW, type IncidentInput } from '../workflows/definitions';
import type { incidentWorkflow } from '../workflows/incident';
import { startBenchReceiver } from './support/receiver';
import { runClosedLoop } from './support/load';
import { ms, percentile, wallNow } from './support/stats';

const STEPS = 10;
const KINDS = ['no runbooks', 'runbooks loaded, none matches', 'a runbook matches and runs'] as const;

export async function benchRunbooks(opts: { n?: number } = {}): Promise<string> {
  // Per kind; the runs' steps are STEPS times the third of them.
  const n = opts.n ?? Number(process.env.BENCH_RUNBOOK_INCIDENTS ?? 60);
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
      one: { steps: [{ notify: { receivers: [pager] } }, { wait: 1h }] }
    defaultPolicy: one
    runbooks:
      http: { allowHosts: ["127.0.0.1"] }
      maxAutoRunsPerHour: 1000000
`,
    { T: 'bench-token', URL: receiver.url },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const env = envSchema.parse({
    PORT: '0',
    HOST: '127.0.0.1',
    KLAXON_DATA_DIR: mkdtempSync(join(tmpdir(), 'klaxon-bench-rb-')),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: '0',
    KLAXON_TASK_QUEUE: `bench-rb-${randomUUID()}`,
    KLAXON_RUNBOOKS: join(projectRoot, 'bench/fixtures/runbooks'),
    DATABASE_URL: process.env.DATABASE_URL,
  });
  const klaxon = await startKlaxon({ env, config: r.config, log: createLogger({ level: 'warn' }) });
  try {
    // The same request the runbook's step makes, made directly from here: the floor of one step.
    const direct: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = wallNow();
      await (await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'direct', incident: { id: 'direct' } }) })).text();
      direct.push(wallNow() - t);
    }
    await receiver.take();

    const run = randomUUID().slice(0, 8);
    const startedAt = new Map<string, { kind: number; at: number }>();
    const load = await runClosedLoop(3 * n, 3, async (i) => {
      const kind = i % 3;
      const groupKey = `{}:{bench="${run}-${i}"}`;
      const labels = { alertname: kind === 2 ? 'BenchRunbook' : 'BenchPlain', service: 'bench', bench: `${run}-${i}` };
      const input: IncidentInput = {
        tenant: 'bench',
        groupKey,
        alerts: [{ fingerprint: `f${i}`, status: 'firing', labels, annotations: { target: receiver.url, steps: String(STEPS) }, startsAt: new Date().toISOString() }],
        commonLabels: labels,
        receivedAt: new Date().toISOString(),
        ...(kind > 0 ? { runbooks: true } : {}),
      };
      const at = wallNow();
      const handle = await klaxon.client.workflow.start<typeof incidentWorkflow>(INCIDENT_WORKFLOW, { taskQueue: env.KLAXON_TASK_QUEUE, workflowId: incidentWorkflowId('bench', groupKey), args: [input] });
      startedAt.set(handle.workflowId, { kind, at });
      // A steady rate (about 6.7 incidents/s over the three lanes), not a burst: the latencies are
      // the incident's own, not a queue's.
      await new Promise((res) => setTimeout(res, 450));
    });
    const expected = 3 * n + n * STEPS;
    const got = await receiver.waitFor(expected, 300_000);
    const arrivals = await receiver.take();
    // The incident id is in every body; map it back to its workflow through the store.
    const ids = await klaxon.db.pool.query<{ id: string; workflow_id: string }>(`SELECT id, workflow_id FROM incidents WHERE tenant = 'bench'`);
    const kindOf = new Map(ids.rows.map((row) => [row.id, startedAt.get(row.workflow_id)]));
    const firstPage: number[][] = [[], [], []];
    const toFirstStep: number[] = [];
    const toRunEnd: number[] = [];
    const stepGaps: number[] = [];
    const byIncident = new Map<string, typeof arrivals>();
    for (const a of arrivals) if (a.incidentId) byIncident.set(a.incidentId, [...(byIncident.get(a.incidentId) ?? []), a]);
    for (const [id, list] of byIncident) {
      const s = kindOf.get(id);
      if (!s) continue;
      const page = list.find((a) => a.kind === 'firing');
      if (page) firstPage[s.kind].push(page.at - s.at);
      const steps = list.filter((a) => a.kind?.startsWith('step')).sort((a, b) => a.at - b.at);
      if (steps.length) toFirstStep.push(steps[0].at - s.at);
      if (steps.length === STEPS) toRunEnd.push(steps[STEPS - 1].at - s.at);
      for (let i = 1; i < steps.length; i++) stepGaps.push(steps[i].at - steps[i - 1].at);
    }
    // A run records its end after its last call: give the last ones a moment.
    const mine = ids.rows.filter((row) => startedAt.has(row.workflow_id)).map((row) => row.id);
    const succeeded = async () => Number((await klaxon.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM runbook_runs WHERE tenant = 'bench' AND outcome = 'succeeded' AND incident_id = ANY($1)`, [mine])).rows[0].n);
    for (let i = 0; i < 100 && (await succeeded()) < n; i++) await new Promise((res) => setTimeout(res, 100));
    const ended = { rows: [{ n: String(await succeeded()) }] };
    const row = (label: string, xs: number[]) => `| ${label} | ${xs.length} | ${ms(percentile(xs, 50))} | ${ms(percentile(xs, 99))} |`;
    const addsP50 = percentile(stepGaps, 50) - percentile(direct, 50);
    const addsP99 = percentile(stepGaps, 99) - percentile(direct, 99);
    return [
      '## Runbooks',
      '',
      `${3 * n} incidents started directly with the Temporal client (${load.errors} errors), at about 6.7/s, interleaved over three kinds; ` +
        `the matching runbook (bench/fixtures/runbooks/bench-steps.ts) makes ${STEPS} HTTP calls in a row to the receiver. ` +
        `${got} of ${expected} arrivals; ${ended.rows[0].n} of ${n} runs succeeded. Embedded Temporal dev server, ${klaxon.db.describe.startsWith('pglite') ? 'PGlite' : 'Postgres'} audit store, receiver in another process.`,
      '',
      '| measure | samples | p50 | p99 |',
      '| --- | ---: | ---: | ---: |',
      ...KINDS.map((k, i) => row(`first page after the start: ${k}`, firstPage[i])),
      row('a matching runbook: incident start → its first call arrives', toFirstStep),
      row(`a matching runbook: incident start → its ${STEPS}th call arrives`, toRunEnd),
      row('one `http` step: a call arrives → the next call arrives', stepGaps),
      row('the same request made directly (round trip)', direct),
      '',
      `What a step adds over the bare request: ${ms(addsP50)} at p50, ${ms(addsP99)} at p99 (an activity scheduled and its result recorded through the Temporal server, and the step's timeline row).`,
    ].join('\n');
  } finally {
    await klaxon.stop();
    await receiver.close();
  }
}

if (require.main === module) {
  benchRunbooks().then(
    (md) => console.log(md),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
