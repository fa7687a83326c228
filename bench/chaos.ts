/**
 * `npm run chaos [-- --short]` (or CHAOS_SHORT=1): paging you can trust, under faults (issue #8).
 *
 * Klaxon as separate `--role http` and `--role worker` processes on an external Temporal dev server
 * and Postgres (DATABASE_URL, default the CI one), under steady Alertmanager-shaped load, while the
 * worker, the HTTP process and Temporal are killed with -9 and the worker is stopped once; then the
 * receiver double and the audit store are checked (bench/chaos/verify.ts), and a kill -9 of the
 * whole `klaxon start` tree is tried. Prints the table (and writes it to BENCHMARKS.md, section
 * `chaos`); exits 1 if any violation is not 0.
 *
 * Short mode (CI): fewer faults (one of each kind, a 20 s stop) and a shorter load, the same checks.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { projectRoot } from '../src/paths';
import { prebuiltWorkflowBundle } from '../src/temporal/bundle';
import { opsTenantYaml } from '../test/support/klaxon';
import { startBenchReceiver } from './support/receiver';
import { Arrivals } from './chaos/arrivals';
import { Cluster, sleep } from './chaos/cluster';
import { faultsDurationMs, injectFaults, type FaultPlan } from './chaos/faults';
import { runLoad, type LoadPlan } from './chaos/load';
import { chaosMarkdown, findingsText, violations } from './chaos/report';
import { readAudit, verify } from './chaos/verify';
import { killWholeTree } from './chaos/wholeTree';

const short = process.argv.includes('--short') || process.env.CHAOS_SHORT === '1';

const FAULTS: FaultPlan = short
  ? { baselineMs: 15_000, spacingMs: 12_000, killWorker: 1, killHttp: 1, killTemporal: 1, stopWorkerMs: 20_000, downMs: 2_000 }
  : { baselineMs: 60_000, spacingMs: 30_000, killWorker: 5, killHttp: 3, killTemporal: 3, stopWorkerMs: 60_000, downMs: 3_000 };

const LOAD: Omit<LoadPlan, 'durationMs'> = {
  groupsPerSecond: 3,
  resendAfterMs: [3_000, 8_000],
  changeShare: 0.5,
  changeAfterMs: [2_000, 8_000],
  ackShare: 0.5,
  // Some acks land around the second page (the policy waits 20 s): the race "page after ack" is about.
  ackAfterPageMs: [2_000, 25_000],
  lifetimeMs: short ? [20_000, 30_000] : [25_000, 60_000],
};

/** After the load: how long the resolve notices may take to arrive. */
const DRAIN_MS = short ? 45_000 : 120_000;

const log = (s: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

async function main(): Promise<number> {
  const startedAt = new Date();
  const t0 = Date.now();
  const run = randomUUID().slice(0, 8);
  const tenant = `chaos-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'klaxon-chaos-'));
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  log(`${short ? 'short' : 'full'} run ${run}: tenant ${tenant}, files and logs in ${dir}`);

  const receiver = await startBenchReceiver();
  const arrivals = new Arrivals(receiver);
  const configFile = join(dir, 'tenants.yaml');
  writeFileSync(configFile, opsTenantYaml(tenant, '[{ notify: { receivers: [ops] } }, { wait: 20s }, { notify: { receivers: [ops] } }]'));
  const secrets = { HOOK: `hook-${run}`, API: `api-${run}`, URL: receiver.url };
  const cluster = new Cluster({ dir, configFile, secrets, databaseUrl, log });
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  try {
    await cluster.start();
    log(`cluster up after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const target = { baseUrl: await cluster.baseUrl(), tenant, hookToken: secrets.HOOK, apiToken: secrets.API };
    // The load outlasts the faults a little, so the last recovery is measured under load too.
    const plan: LoadPlan = { ...LOAD, durationMs: faultsDurationMs(FAULTS) + (short ? 10_000 : 30_000) };
    const [groups, faults] = await Promise.all([runLoad(plan, target, arrivals, run, log), injectFaults(cluster, FAULTS, log)]);
    log(`load done: ${groups.length} groups; draining (at most ${DRAIN_MS / 1000} s)`);
    await drain(groups, arrivals, pool, tenant);
    const verdict = verify(groups, arrivals.all, await readAudit(pool, tenant), faults);
    const unexpectedExits = cluster.unexpectedExits();
    await cluster.stop();

    log('whole-tree kill -9 of klaxon start');
    const bundle = (await prebuiltWorkflowBundle(join(dir, 'klaxon', 'cache'))).codePath;
    const tree = await killWholeTree(dir, bundle, receiver.url, arrivals, log).catch((err: Error) => ({ ok: false, summary: `❌ ${err.message}` }));
    await arrivals.stop();

    const facts = { mode: short ? ('short' as const) : ('full' as const), startedAt, elapsedMs: Date.now() - t0, groupsPerSecond: LOAD.groupsPerSecond, groups, faults, unexpectedExits, arrivals: arrivals.all.length, verdict, tree };
    const markdown = chaosMarkdown(facts);
    process.stdout.write(`\n${markdown}\n\n`);
    const details = findingsText(verdict);
    if (details) process.stdout.write(`Violations:\n${details}\n`);
    writeFileSync(join(dir, 'findings.json'), JSON.stringify({ verdict, groups, faults, arrivals: arrivals.all }, null, 1));
    if (!process.argv.includes('--no-write')) writeSection(markdown);
    const bad = violations(facts);
    log(`${bad === 0 ? 'all checks 0' : `${bad} violation(s)`}; details in ${join(dir, 'findings.json')}`);
    return bad === 0 ? 0 : 1;
  } finally {
    await cluster.stop();
    await receiver.close();
    await pool.end();
  }
}

/**
 * Waits until every accepted resolve has its resolve notice and no incident of the run is open in
 * the audit store, or DRAIN_MS has passed; then a few seconds more for stragglers (a late duplicate).
 */
async function drain(groups: Awaited<ReturnType<typeof runLoad>>, arrivals: Arrivals, pool: Pool, tenant: string): Promise<void> {
  const deadline = Date.now() + DRAIN_MS;
  while (Date.now() < deadline) {
    const open = await pool.query<{ n: string }>("SELECT count(*) AS n FROM incidents WHERE tenant = $1 AND status <> 'resolved'", [tenant]);
    const waiting = groups.filter((g) => g.resolved && g.opened?.incidentId && !arrivals.of(g.opened.incidentId).some((a) => a.kind === 'resolved'));
    if (Number(open.rows[0].n) === 0 && waiting.length === 0) break;
    await sleep(1000);
  }
  await sleep(5000);
}

/** BENCHMARKS.md: replaces (or appends) the `chaos` section; `npm run bench` keeps it as it is. */
function writeSection(markdown: string): void {
  const file = join(projectRoot, 'BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const [begin, end] = ['<!-- bench:chaos -->', '<!-- /bench:chaos -->'];
  const block = `${begin}\n${markdown}\n${end}`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  const next = a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + end.length) : text.replace(/\n## How to reproduce/, `\n${block}\n\n## How to reproduce`);
  writeFileSync(file, next.includes(block) ? next : `${text.trimEnd()}\n\n${block}\n`);
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    log(`failed: ${err.stack ?? err.message}`);
    process.exit(2);
  },
);
