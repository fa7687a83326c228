/**
 * Ingest and notification benchmark (issue 2): how fast Alertmanager webhooks become incident
 * workflows, compared with the Temporal server's own start rate, and how long an alert takes to
 * reach a receiver.
 *
 * Everything runs on embedded defaults, as `npm start` would: Klaxon starts its own Temporal dev
 * server and PGlite (or uses DATABASE_URL), in this process; the webhook receiver runs in a child
 * process. See BENCHMARKS.md for the numbers and `npm run bench -- ingest` to reproduce them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Pool } from 'undici';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { envSchema } from '../src/config/env';
import { parseConfig } from '../src/config/load';
import { createLogger } from '../src/logger';
import { startKlaxon, type Klaxon } from '../src/runtime';
import { prebuiltWorkflowBundle } from '../src/temporal/bundle';
import { IngestService, type IngestedIncident } from '../src/ingest/ingest';
import { webhookDuration } from '../src/metrics';
import { startBenchReceiver, type Arrival, type BenchReceiver } from './support/receiver';
import { payloadFactory } from './support/payloads';
import { profileMainThread } from './support/profile';
import { runClosedLoop, runPaced, type LoadResult, type Sample } from './support/load';
import { cpuDelta, cpuSnapshot, type CpuRow } from './support/cpu';
import { ms, percentile, perSecond, rate, wallNow } from './support/stats';
import { scaleResults } from './support/scale';
import { runRemoteLoad } from './support/remoteLoad';
import { runWrkLoad, wrkAvailable } from './support/wrkLoad';
import type { BenchPageActivities } from './support/trivialWorkflow';

export interface IngestBenchOptions {
  /** Payloads (= incidents) per measured phase; env BENCH_N. */
  n?: number;
  /** Requests in flight; env BENCH_C. */
  c?: number;
  /** Warm-up payloads before measuring; env BENCH_WARMUP. */
  warmup?: number;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

const TRIVIAL_WORKFLOW = 'benchTrivialWorkflow';
const PAGE_WORKFLOW = 'benchPageWorkflow';
/** The steady rate of the product's latency promise (processing < 100 ms p95), issue #11. */
const STEADY_RATE = 7;
const STEADY_SECONDS = 15;
/** Unchanged re-sends of groups already open (Alertmanager's repeat_interval). */
const RESENDS = 5000;
/** How long wrk re-sends (it runs for a duration, not a count). */
const RESEND_SECONDS = 3;
const IDLE_COUNT = 30;
/** Calls per diagnostic phase (at most n). */
const DIAGNOSTIC_N = 200;

const intEnv = (name: string, fallback: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${v}: expected a positive integer`);
  return n;
};

/** A tenant of its own per run: a shared Postgres (DATABASE_URL) keeps earlier runs' open incidents. */
function tenantYaml(tenant: string): string {
  return `
tenants:
  ${tenant}:
    # The tenant's intake limit (default 50/s) would measure the limiter, not Klaxon.
    webhook: { token: "\${BENCH_HOOK_TOKEN}", rateLimit: { perSecond: 1000000, burst: 1000000 } }
    api: { token: "\${BENCH_API_TOKEN}" }
    receivers:
      hook:
        type: webhook
        url: \${BENCH_RECEIVER_URL}
        timeout: 5s
    escalationPolicies:
      page:
        steps:
          - notify: { receivers: [hook] }
    defaultPolicy: page
`;
}

function installQuietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Another section (or an earlier run in this process) installed it already.
  }
}

/** The webhook handler's own timer (validation + ingest; prom-client histogram), cumulative. */
async function handlerTotals(): Promise<{ sum: number; count: number }> {
  const values = (await webhookDuration.get()).values.filter((v) => v.labels.code === '202');
  const pick = (suffix: string) => values.filter((v) => v.metricName?.endsWith(suffix)).reduce((a, v) => a + v.value, 0);
  return { sum: pick('_sum'), count: pick('_count') };
}

type Cpu = CpuRow[];
const TEMPORAL = 'Temporal server';

interface Phase<T = unknown> {
  name: string;
  result: LoadResult<T>;
  cpu: Cpu;
}

const okLatencies = (r: LoadResult<unknown>) => r.samples.filter((s) => !s.error).map((s) => s.latencyMs);
const throughput = (p: Phase) => perSecond(p.result.ok, p.result.elapsedMs);

/** CPU ms per call: the Temporal dev server (a child process), and all threads of this process. */
function cpuPerCall(calls: number, ...cpus: Cpu[]): { temporal: number; klaxon: number } {
  const rows = cpus.flat();
  const temporal = rows.filter((r) => r.who === TEMPORAL).reduce((a, r) => a + r.ms, 0);
  const klaxon = rows.filter((r) => r.kind === 'thread').reduce((a, r) => a + r.ms, 0);
  return { temporal: rows.some((r) => r.who === TEMPORAL) ? temporal / calls : Number.NaN, klaxon: klaxon / calls };
}

function phaseRow(label: string, p: Phase, unit: string): string {
  const l = okLatencies(p.result);
  const errors = p.result.errors ? `${p.result.errors} (${p.result.errorExamples.join('; ')})` : '0';
  const cpu = cpuPerCall(Math.max(1, p.result.ok), p.cpu);
  return `| ${label} | ${p.result.samples.length} | ${rate(throughput(p))} ${unit} | ${ms(percentile(l, 50))} | ${ms(percentile(l, 99))} | ${ms(cpu.temporal)} | ${ms(cpu.klaxon)} | ${errors} |`;
}

function cpuText(cpu: Cpu): string {
  const ours = cpu.filter((r) => r.kind !== 'others');
  const others = cpu.find((r) => r.kind === 'others')?.cores ?? 0;
  const total = ours.reduce((a, r) => a + r.cores, 0);
  return `bench ${total.toFixed(2)} (` + ours.slice(0, 6).map((r) => `${r.who} ${r.cores.toFixed(2)}`).join(', ') + `), other processes ${others.toFixed(2)}`;
}

/** First `firing` arrival per incident id, and how many arrivals were extra copies. */
function firstArrivals(arrivals: Arrival[]): { first: Map<string, number>; duplicates: number } {
  const first = new Map<string, number>();
  let duplicates = 0;
  for (const a of arrivals) {
    if (!a.incidentId || a.kind !== 'firing') continue;
    const seen = first.get(a.incidentId);
    if (seen === undefined) first.set(a.incidentId, a.at);
    else {
      duplicates++;
      if (a.at < seen) first.set(a.incidentId, a.at);
    }
  }
  return { first, duplicates };
}

interface Notified {
  /** Alert sent → first notification at the receiver, ms, per incident that got one. */
  values: number[];
  missing: number;
  duplicates: number;
  /** Wall-clock time of the last first-notification. */
  lastAt: number;
}

function notificationLatencies(samples: Array<Sample<IngestedIncident[]>>, arrivals: Arrival[]): Notified {
  const { first, duplicates } = firstArrivals(arrivals);
  const values: number[] = [];
  let missing = 0;
  let lastAt = 0;
  for (const s of samples) {
    if (s.error) continue;
    const id = s.value?.[0]?.incidentId;
    const at = id ? first.get(id) : undefined;
    if (at === undefined) {
      missing++;
      continue;
    }
    values.push(at - s.sentAt);
    lastAt = Math.max(lastAt, at);
  }
  return { values, missing, duplicates, lastAt };
}

/** A few sentences derived from this run's numbers (so they stay true when the numbers change). */
function reading(r: {
  incidentsPerSec: number;
  ceilingPerSec: number;
  /** Undefined when other processes disturbed (b2) and (b) differently. */
  callShapePerSec?: number;
  notifyRate: number;
  n: number;
  incidentCpu: { temporal: number; klaxon: number };
  startCpu: { temporal: number; klaxon: number };
  /** (b3): a start with nobody polling, so without the workflow task a start causes. */
  startOnlyCpu?: { temporal: number; klaxon: number };
}): string[] {
  const parts: string[] = [];
  if (r.callShapePerSec !== undefined) {
    parts.push(
      `Klaxon's own Temporal call (b2) ran at ${((r.callShapePerSec / r.ceilingPerSec) * 100).toFixed(0)}% of the ceiling: ` +
        'what (a) loses is not the webhook path but the worker working on the incidents just accepted, on the same Temporal server and the same cores.',
    );
  }
  if (Number.isFinite(r.incidentCpu.temporal) && Number.isFinite(r.startCpu.temporal)) {
    parts.push(
      `One incident, from webhook to notification (its audit rows written), cost the Temporal server ${ms(r.incidentCpu.temporal)} of CPU, ` +
        `${(r.incidentCpu.temporal / r.startCpu.temporal).toFixed(1)}× a bare workflow start (${ms(r.startCpu.temporal)}, the do-nothing workflow's one task included` +
        (r.startOnlyCpu && Number.isFinite(r.startOnlyCpu.temporal) ? `; ${(r.incidentCpu.temporal / r.startOnlyCpu.temporal).toFixed(1)}× the ${ms(r.startOnlyCpu.temporal)} of a start nobody polls, (b3)` : '') +
        `), and the Klaxon process ${ms(r.incidentCpu.klaxon)}.`,
    );
  }
  if (r.notifyRate < r.incidentsPerSec) {
    parts.push(
      `Webhooks were accepted at ${rate(r.incidentsPerSec)} but incidents notified at ${rate(r.notifyRate)}, so a burst of ${r.n} queues ` +
        `in the worker and its last incidents wait about ${ms((r.n / r.notifyRate - r.n / r.incidentsPerSec) * 1000)}: ` +
        'the latency target can only hold at rates the worker keeps up with, see (e) and (c).',
    );
  }
  return parts.length ? [`Reading: ${parts.join(' ')}`] : [];
}

async function maybeProfile<T>(file: string | undefined, fn: () => Promise<T>): Promise<{ value: T; top?: Array<{ origin: string; share: number }> }> {
  if (!file) return { value: await fn() };
  return profileMainThread(file, fn);
}

const loadAverage = () => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
};

/**
 * Runs the whole ingest benchmark on one fresh stack and returns its Markdown section. Throws when
 * the stack cannot be started or the measured ingest phase fails outright.
 */
export async function benchIngest(opts: IngestBenchOptions = {}): Promise<string> {
  const n = opts.n ?? intEnv('BENCH_N', 500);
  const c = opts.c ?? intEnv('BENCH_C', 16);
  const warmup = opts.warmup ?? intEnv('BENCH_WARMUP', Math.min(100, n));
  const say = opts.log ?? ((line: string) => process.stderr.write(`[bench:ingest] ${line}\n`));
  const run = randomUUID().slice(0, 8);
  const TENANT = `bench-${run}`;
  const loadBefore = loadAverage();

  installQuietRuntime();
  const dataDir = mkdtempSync(join(tmpdir(), 'klaxon-bench-'));
  let receiver: BenchReceiver | undefined;
  let klaxon: Klaxon | undefined;
  let http: Pool | undefined;
  let trivial: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
  try {
    receiver = await startBenchReceiver();
    const secrets = { BENCH_HOOK_TOKEN: randomBytes(16).toString('hex'), BENCH_API_TOKEN: randomBytes(16).toString('hex'), BENCH_RECEIVER_URL: `${receiver.url}/hook` };
    const parsed = parseConfig(tenantYaml(TENANT), secrets);
    if (!parsed.ok) throw new Error('bench config invalid: ' + JSON.stringify(parsed.problems));
    const env = envSchema.parse({
      PORT: '0',
      HOST: '127.0.0.1',
      KLAXON_DATA_DIR: dataDir,
      KLAXON_TASK_QUEUE: `bench-${run}`,
      TEMPORAL_PORT: '0',
      TEMPORAL_UI_PORT: '0',
      DATABASE_URL: process.env.DATABASE_URL || undefined,
      // A Temporal server of your own instead of the embedded one (for comparing server set-ups).
      TEMPORAL_ADDRESS: process.env.BENCH_TEMPORAL_ADDRESS || undefined,
      LOG_LEVEL: 'warn',
    });

    // The workflow bundle is cached outside the temporary data dir: it depends only on the sources.
    let t = performance.now();
    const bundle = await prebuiltWorkflowBundle(join(tmpdir(), 'klaxon-bench-cache'));
    const bundleMs = performance.now() - t;
    t = performance.now();
    klaxon = await startKlaxon({ env, config: parsed.config, workflowBundle: bundle, log: createLogger({ level: 'warn' }) });
    const startupMs = performance.now() - t;
    const dbText = klaxon.db.describe.startsWith('pglite:')
      ? 'PGlite (embedded, in the Klaxon process, served to `pg` over pglite-socket)'
      : `Postgres (\`DATABASE_URL\`, ${klaxon.db.describe.replace(/\/\/[^@/]*@/, '//…@')})`;
    // BENCH_TEMPORAL_PID: the external server's process on this machine, to count its CPU too.
    const watch = process.env.BENCH_TEMPORAL_PID ? [Number(process.env.BENCH_TEMPORAL_PID)] : [];
    const temporalText = env.TEMPORAL_ADDRESS
      ? `**an external Temporal server at ${env.TEMPORAL_ADDRESS}** (\`BENCH_TEMPORAL_ADDRESS\`${watch.length ? '' : '; its CPU is counted with other processes unless BENCH_TEMPORAL_PID names it'})`
      : 'the Temporal dev server Klaxon starts (SQLite file in the data dir)';
    const snapshot = () => cpuSnapshot(watch);
    const temporalPid = watch[0] ?? [...snapshot().children].find(([, ch]) => ch.name.startsWith('temporal'))?.[0];
    const names: Record<number, string> = { [receiver.pid]: 'receiver (child process)' };
    if (temporalPid) names[temporalPid] = TEMPORAL;
    say(`stack up in ${ms(startupMs)} (bundle ${ms(bundleMs)}); ${temporalText}; ${dbText}; n=${n} c=${c} warm-up=${warmup}; load average ${loadBefore}`);

    http = new Pool(klaxon.url, { connections: c, keepAliveTimeout: 60_000 });
    const auth = `Bearer ${secrets.BENCH_HOOK_TOKEN}`;
    const post = async (body: string): Promise<IngestedIncident[]> => {
      const res = await http!.request({ path: `/webhook/${TENANT}`, method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body });
      const text = await res.body.text();
      if (res.statusCode !== 202) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
      return (JSON.parse(text) as { incidents: IngestedIncident[] }).incidents;
    };
    // Every phase posts its own groups: a group seen before would be an `unchanged` re-send.
    const alertsPerPayload = payloadFactory(run).alertsPerPayload;
    const bodies = (phase: string, count: number) => {
      const factory = payloadFactory(`${run}-${phase}`);
      return Array.from({ length: count }, (_, i) => JSON.stringify(factory.make(i)));
    };
    const measure = async <T>(name: string, load: () => Promise<LoadResult<T>>): Promise<Phase<T>> => {
      say(`${name}…`);
      const before = snapshot();
      const result = await load();
      const cpu = cpuDelta(before, snapshot(), names);
      const l = okLatencies(result);
      say(`${name}: ${rate(perSecond(result.ok, result.elapsedMs))}, p50 ${ms(percentile(l, 50))}, p99 ${ms(percentile(l, 99))}, errors ${result.errors}; ${cpuText(cpu)}`);
      return { name, result, cpu };
    };
    /** Waits for every incident of a phase to be notified (or the timeout) and matches arrivals. */
    /**
     * Waits for every incident of a phase to be notified (or the timeout) and matches arrivals.
     * `audited`: also until each page's `notified` row is in the audit store, so the CPU counted
     * is all a first page costs (its audit write and the workflow task after it included).
     */
    const notified = async (samples: Array<Sample<IngestedIncident[]>>, timeoutMs: number, audited = false): Promise<Notified & { cpu: Cpu }> => {
      const before = snapshot();
      await receiver!.waitFor(samples.filter((s) => !s.error).length, timeoutMs);
      const arrivals = await receiver!.take();
      if (audited) await auditedPages(samples, timeoutMs);
      const cpu = cpuDelta(before, snapshot(), names);
      return { ...notificationLatencies(samples, arrivals), cpu };
    };
    const auditedPages = async (samples: Array<Sample<IngestedIncident[]>>, timeoutMs: number) => {
      const ids = samples.flatMap((s) => s.value?.map((i) => i.incidentId) ?? []).filter((id): id is string => !!id);
      const until = Date.now() + timeoutMs;
      for (;;) {
        const r = await klaxon!.db.pool.query<{ n: string }>(`SELECT count(DISTINCT incident_id) AS n FROM incident_events WHERE kind = 'notified' AND incident_id = ANY($1)`, [ids]);
        if (Number(r.rows[0].n) >= ids.length || Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // The workflow task that takes in the send's completion follows its row by a few ms.
      await new Promise((r) => setTimeout(r, 200));
    };

    // Warm-up: JIT, connection pools, the worker's sandbox and cache, PGlite's buffers.
    const warm = bodies('warm', warmup);
    await runClosedLoop(warmup, c, (i) => post(warm[i]));
    await receiver.waitFor(warmup, 60_000);
    await receiver.take();

    // (b) The ceiling, measured right before (a) so both see the same machine: the Temporal
    // server's own start rate from this client at the same concurrency, for a workflow that does
    // nothing, with a worker polling its task queue (as Klaxon's worker polls its own, so the
    // server hands each task over instead of persisting it).
    const client = klaxon.client;
    const trivialQueue = `bench-trivial-${run}`;
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('./support/trivialWorkflow'),
      logger: { info() {}, debug() {}, trace() {}, warn() {}, error: console.error, log() {} },
    });
    const connection = await NativeConnection.connect({ address: klaxon.temporalAddress });
    const pageHttp = new Pool(receiver.url, { connections: c, keepAliveTimeout: 60_000 });
    const activities: BenchPageActivities = {
      async benchPost(url, body) {
        const res = await pageHttp.request({ path: new URL(url).pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await res.body.text();
        if (res.statusCode >= 300) throw new Error(`receiver answered ${res.statusCode}`);
      },
    };
    // Klaxon's client encrypts payloads: the do-nothing worker decodes them as Klaxon's worker does.
    let trivialDone = 0;
    const sinks = { bench: { done: { fn: () => void trivialDone++, callDuringReplay: false } } };
    const worker = await Worker.create({ connection, namespace: env.TEMPORAL_NAMESPACE, taskQueue: trivialQueue, workflowBundle: { code }, activities, sinks, dataConverter: klaxon.encryption.dataConverter });
    trivial = { worker, connection, running: worker.run() };
    const start = (prefix: string, queue: string) => (i: number) =>
      client.workflow.start(TRIVIAL_WORKFLOW, { taskQueue: queue, workflowId: `bench/${run}/${prefix}/${i}` }).then(() => undefined);
    await runClosedLoop(Math.min(50, n), c, start('warm', trivialQueue));
    // Its CPU counts until every started workflow has run its one task (what a start costs in all);
    // its rate is the start calls' own, like (a)'s.
    const ceiling = await measure(`(b) ceiling: workflow.start, trivial worker, ${n} at concurrency ${c}`, async () => {
      const target = trivialDone + n;
      const loop = await runClosedLoop(n, c, start('ceiling', trivialQueue));
      const until = Date.now() + 60_000;
      while (trivialDone < target - loop.errors && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      return loop;
    });

    // (a) The product path at full speed: HTTP → validation → IngestService (a workflow start), while the worker
    // runs the incidents it just got.
    const ingestBodies = bodies('ingest', n);
    const loop = monitorEventLoopDelay({ resolution: 5 });
    const handlerBefore = await handlerTotals();
    // BENCH_PROFILE=file.cpuprofile: profile the main thread from (a) until its last notification.
    const profiled = await maybeProfile(process.env.BENCH_PROFILE, async () => {
      loop.enable();
      const phase = await measure(`(a) webhook ingest, ${n} at concurrency ${c}`, () => runClosedLoop(n, c, (i) => post(ingestBodies[i])));
      loop.disable();
      if (phase.result.ok === 0) throw new Error(`every webhook call failed: ${phase.result.errorExamples.join('; ')}`);
      const handlerAfter = await handlerTotals();
      const handlerMs = ((handlerAfter.sum - handlerBefore.sum) / Math.max(1, handlerAfter.count - handlerBefore.count)) * 1000;
      return { ingest: phase, handlerMeanMs: handlerMs, loaded: await notified(phase.result.samples, 180_000, true) };
    });
    const { ingest, handlerMeanMs, loaded } = profiled.value;
    if (profiled.top) say(`main-thread profile (${process.env.BENCH_PROFILE}), busy self time: ` + profiled.top.slice(0, 15).map((t) => `${t.origin} ${(t.share * 100).toFixed(1)}%`).join(', '));
    const phaseStart = Math.min(...ingest.result.samples.map((s) => s.sentAt));
    const notifyElapsed = loaded.lastAt - phaseStart;
    const notifyRate = perSecond(loaded.values.length, notifyElapsed);
    say(`(a) notifications: ${loaded.values.length}/${ingest.result.ok} at ${rate(notifyRate)}; first-notification p50 ${ms(percentile(loaded.values, 50))}, p99 ${ms(percentile(loaded.values, 99))}; drain ${cpuText(loaded.cpu)}`);
    // Let the incidents' last workflow tasks (audit of the notification) finish before going on.
    await new Promise((r) => setTimeout(r, 2000));

    // (c) Unloaded: one payload at a time, the next only after the previous one was notified.
    const idleBodies = bodies('idle', IDLE_COUNT);
    const idleSamples: Array<Sample<IngestedIncident[]>> = [];
    for (let i = 0; i < IDLE_COUNT; i++) {
      const sentAt = wallNow();
      const t0 = performance.now();
      const before = await receiver.count();
      try {
        const value = await post(idleBodies[i]);
        idleSamples.push({ index: i, sentAt, latencyMs: performance.now() - t0, value });
        await receiver.waitFor(before + 1, 10_000);
      } catch (err) {
        idleSamples.push({ index: i, sentAt, latencyMs: performance.now() - t0, error: (err as Error).message });
      }
    }
    const idle = notificationLatencies(idleSamples, await receiver.take());
    say(`(c) unloaded first-notification p50 ${ms(percentile(idle.values, 50))}, p99 ${ms(percentile(idle.values, 99))}`);

    // (h) The least a durable page can be, in the same burst shape as (a): a workflow running one
    // activity that POSTs to the same receiver. Klaxon's notified rate in (a) is compared with it.
    const pageStarts = await measure(`(h) minimal page workflows, ${n} at concurrency ${c}`, () =>
      runClosedLoop(n, c, (i) => client.workflow.start(PAGE_WORKFLOW, { taskQueue: trivialQueue, workflowId: `bench/${run}/page/${i}`, args: [`${receiver!.url}/hook`, `page-${run}-${i}`] }).then(() => undefined)),
    );
    const pageSentFrom = Math.min(...pageStarts.result.samples.map((s) => s.sentAt));
    // CPU until the last page is in (and its workflow's closing task), as (a)'s runs until its last.
    const pageTail = snapshot();
    await receiver.waitFor(pageStarts.result.ok, 180_000);
    await new Promise((r) => setTimeout(r, 200));
    const pageCpu = cpuPerCall(Math.max(1, pageStarts.result.ok), pageStarts.cpu, cpuDelta(pageTail, snapshot(), names));
    const pageArrivals = (await receiver.take()).filter((a) => a.incidentId?.startsWith(`page-${run}-`));
    const pageRate = perSecond(pageArrivals.length, Math.max(...pageArrivals.map((a) => a.at)) - pageSentFrom);
    say(`(h) minimal page workflows: ${pageArrivals.length}/${n} paged at ${rate(pageRate)}`);
    await new Promise((r) => setTimeout(r, 2000));

    // (f) Steady: the product's promise (first page < 100 ms p95) at ${STEADY_RATE}/s, open loop.
    const steadyBodies = bodies('steady', STEADY_RATE * STEADY_SECONDS);
    const steadyPhase = await measure(`(f) webhook ingest, ${STEADY_RATE}/s`, () => runPaced(steadyBodies.length, STEADY_RATE, (i) => post(steadyBodies[i])));
    const steady = await notified(steadyPhase.result.samples, 60_000);
    say(`(f) first-notification p50 ${ms(percentile(steady.values, 50))}, p95 ${ms(percentile(steady.values, 95))}, p99 ${ms(percentile(steady.values, 99))}`);

    // (g) Unchanged re-sends of the groups (a) opened, as Alertmanager repeats them: answered
    // from the HTTP process's memory (and one audit-store read), no Temporal write. The client runs
    // in a child process: what one Klaxon process answers, not what it answers while also sending.
    // BENCH_PROFILE_RESENDS=file.cpuprofile: where the main thread spends a re-send.
    // The client is wrk when installed (C, a fraction of a Node client's CPU per request), else a
    // Node child process (bench/support/loadProcess.ts); the table says which.
    let outcomes: Record<string, number> = {};
    let resendTotal = RESENDS;
    let resendClient = 'a Node child process';
    let wrkLatency = '';
    const useWrk = wrkAvailable() && process.env.BENCH_RESEND_CLIENT !== 'node';
    const resendProfile = await maybeProfile(process.env.BENCH_PROFILE_RESENDS, () =>
      measure(`(g) unchanged re-sends at concurrency ${c} from another process (${useWrk ? 'wrk' : 'node'})`, async () => {
        if (useWrk) {
          const r = await runWrkLoad({ url: `${klaxon!.url}/webhook/${TENANT}`, auth, bodies: ingestBodies, seconds: RESEND_SECONDS, c });
          names[r.pid] = 'load generator (wrk)';
          resendClient = 'wrk (Debian)';
          resendTotal = r.ok + r.errors;
          outcomes = { unchanged: r.unchanged };
          wrkLatency = `, p50 ${ms(r.p50Ms)} / p99 ${ms(r.p99Ms)} by wrk`;
          return { samples: [], elapsedMs: r.elapsedMs, ok: r.ok, errors: r.errors, errorExamples: [] };
        }
        const r = await runRemoteLoad({ origin: klaxon!.url, path: `/webhook/${TENANT}`, headers: { 'content-type': 'application/json', authorization: auth }, bodies: ingestBodies, n: RESENDS, c });
        names[r.pid] = 'load generator (child process)';
        outcomes = r.outcomes;
        return { samples: r.latenciesMs.map((latencyMs, index) => ({ index, sentAt: 0, latencyMs })), elapsedMs: r.elapsedMs, ok: r.ok, errors: r.errors, errorExamples: r.errorExamples };
      }),
    );
    const resendPhase = resendProfile.value;
    if (resendProfile.top) say(`re-send profile (${process.env.BENCH_PROFILE_RESENDS}), busy self time: ` + resendProfile.top.slice(0, 15).map((t) => `${t.origin} ${(t.share * 100).toFixed(1)}%`).join(', '));
    const unchanged = outcomes.unchanged ?? 0;
    say(`(g) ${unchanged}/${resendTotal} answered unchanged${wrkLatency}`);

    // (e) Sustained: half the notification rate (a) reached, for about 10 s (open loop, as
    // Alertmanager sends): is p99 < 1 s when the worker keeps up?
    const sustainedRate = Math.max(1, Math.floor(notifyRate / 2));
    const sustainedCount = Math.min(n, sustainedRate * 10);
    const sustainedBodies = bodies('sustained', sustainedCount);
    const sustainedPhase = await measure(`(e) webhook ingest, ${sustainedRate}/s`, () => runPaced(sustainedCount, sustainedRate, (i) => post(sustainedBodies[i])));
    const sustained = await notified(sustainedPhase.result.samples, 60_000);
    say(`(e) first-notification p50 ${ms(percentile(sustained.values, 50))}, p99 ${ms(percentile(sustained.values, 99))}`);
    await new Promise((r) => setTimeout(r, 2000));

    // Diagnostics: where the gap between (a) and (b) comes from.
    const m = Math.min(n, DIAGNOSTIC_N);
    // (b2) Klaxon's own ingest call (IngestService.ingest: whatever Temporal call it makes for a new
    // group, with its input and search attributes) against the do-nothing worker: Temporal's share of an ingest, no HTTP, no incident work.
    const tenant = klaxon.config.tenant(TENANT)!;
    const toTrivial = new IngestService(client, trivialQueue);
    const shapePayloads = bodies('shape', m).map((b) => JSON.parse(b));
    const callShape = await measure(`(b2) IngestService.ingest → do-nothing worker, ${m}`, () => runClosedLoop(m, c, (i) => toTrivial.ingest(TENANT, tenant, shapePayloads[i])));
    // (b3) workflow.start with nobody polling: the server persists the task instead of handing it over.
    const unpolled = await measure(`(b3) workflow.start, nobody polling, ${m}`, () => runClosedLoop(m, c, start('unpolled', `bench-unpolled-${run}`)));
    worker.shutdown();
    await trivial.running;
    await pageHttp.close();
    await connection.close();
    trivial = undefined;
    // (a2) The product path without HTTP: IngestService.ingest into Klaxon's own worker, as many
    // as (a) (the worker's backlog grows with the burst, so a shorter run would look faster). Last:
    // its incidents are still being worked on when the stack stops.
    const toKlaxon = new IngestService(client, env.KLAXON_TASK_QUEUE);
    const directPayloads = bodies('direct', n).map((b) => JSON.parse(b));
    const direct = await measure(`(a2) IngestService.ingest → Klaxon worker, ${n}`, () => runClosedLoop(n, c, (i) => toKlaxon.ingest(TENANT, tenant, directPayloads[i])));

    // ---- report
    const incidentsPerSec = throughput(ingest);
    const ceilingPerSec = throughput(ceiling);
    const ratio = incidentsPerSec / ceilingPerSec;
    const webhook = okLatencies(ingest.result);
    const p99First = percentile(loaded.values, 99);
    const mark = (ok: boolean) => (ok ? '✅ met' : '❌ missed');
    const lat = (x: Notified) => `${ms(percentile(x.values, 50))} / ${ms(percentile(x.values, 99))} (max ${ms(Math.max(...x.values))}; ${x.missing} missing, ${x.duplicates} duplicates)`;
    // Other people's processes on a shared machine skew a ratio of two phases measured a minute apart.
    const othersIn = (p: Phase) => p.cpu.find((r) => r.kind === 'others')?.cores ?? 0;
    const disturbed = (x: Phase, y: Phase) => Math.abs(othersIn(x) - othersIn(y)) > 0.25;
    const noisy = disturbed(ingest, ceiling);
    const incidentCpu = cpuPerCall(Math.max(1, ingest.result.ok), ingest.cpu, loaded.cpu);
    const startCpu = cpuPerCall(Math.max(1, ceiling.result.ok), ceiling.cpu);
    const resendCpu = cpuPerCall(Math.max(1, resendPhase.result.ok), resendPhase.cpu).klaxon;
    Object.assign(scaleResults, {
      ingestPerSec: incidentsPerSec,
      ceilingPerSec,
      burstNotifiedPerSec: notifyRate,
      pageWorkflowPerSec: pageRate,
      pageTemporalCpuMs: pageCpu.temporal,
      pageProcessCpuMs: pageCpu.klaxon,
      klaxonCpuPerIncidentMs: incidentCpu.klaxon,
      ownCallPerSec: disturbed(callShape, ceiling) ? undefined : throughput(callShape),
      temporalCpuPerIncidentMs: incidentCpu.temporal,
      temporalCpuPerStartMs: startCpu.temporal,
      burstN: n,
      burstFirstPageP99Ms: p99First,
      steadyRate: STEADY_RATE,
      steadyFirstPageP99Ms: percentile(steady.values, 99),
      steadyFirstPageP95Ms: percentile(steady.values, 95),
      resendPerSec: throughput(resendPhase),
      resendUnchanged: unchanged,
      resendTotal,
      resendClient,
      resendTemporalCpuMs: cpuPerCall(Math.max(1, resendPhase.result.ok), resendPhase.cpu).temporal,
      resendKlaxonCpuMs: resendCpu,
    });
    const lines = [
      '## Ingest and first notification',
      '',
      `Stack: Klaxon (HTTP server and worker) inside the bench process, ${temporalText}, ` +
        `audit store **${dbText}**. Receiver: one \`webhook\` receiver pointing at an HTTP endpoint in a **child process** that timestamps each arrival. ` +
        `Load: Alertmanager payloads shaped like \`test/fixtures/alertmanager/firing-group.json\` (${alertsPerPayload} alerts each, ` +
        `every payload its own group and fingerprints, so one incident per request), ${c} in flight over HTTP/1.1 keep-alive (undici Pool), ` +
        `after ${warmup} warm-up payloads; the load generator shares the process with Klaxon. n = ${n}. ` +
        `Startup ${ms(startupMs)} (+ ${ms(bundleMs)} workflow bundle). Load average before the run: ${loadBefore}; ` +
        `the CPU lines below show how much of the machine other processes took during each phase.`,
      '',
      '| measure | result | target |',
      '| --- | --- | --- |',
      `| (a) webhook ingest, ${c} in flight | **${rate(incidentsPerSec)} incidents** = ${rate(incidentsPerSec * alertsPerPayload)} alerts, ${ingest.result.errors} errors | |`,
      `| (a) webhook latency p50 / p99 | ${ms(percentile(webhook, 50))} / ${ms(percentile(webhook, 99))} (handler's own mean: ${ms(handlerMeanMs)}) | |`,
      `| (b) ceiling: \`workflow.start\` of a do-nothing workflow, ${c} in flight | **${rate(ceilingPerSec)} workflows** | |`,
      `| ratio (a) / (b) | **${ratio.toFixed(2)}**${noisy ? ' ⚠ see below' : ''} | ≥ 0.8 ${mark(ratio >= 0.8)} |`,
      `| first notification p50 / p99 during (a) | ${lat(loaded)} | p99 < 1 s ${mark(p99First < 1000)} |`,
      `| incidents notified per second during (a) | ${rate(notifyRate)} (the last ${ms(notifyElapsed - ingest.result.elapsedMs)} after the last webhook answer) | |`,
      `| first notification p50 / p99, sustained ${sustainedRate}/s for ${sustainedCount} (e) | ${lat(sustained)} | |`,
      `| first notification p50 / p99, unloaded: one at a time, ${IDLE_COUNT} (c) | ${lat(idle)} | |`,
      `| (h) minimal page workflows (one activity POSTing to the receiver), ${n} in the same burst shape | ${rate(pageRate)} paged; Klaxon's incidents in (a) ${rate(notifyRate)} = **${(notifyRate / pageRate).toFixed(2)}** of it | ≥ 0.8 ${mark(notifyRate / pageRate >= 0.8)} |`,
      `| (f) steady ${STEADY_RATE}/s for ${STEADY_SECONDS} s: first notification p50 / p95 / p99 | ${ms(percentile(steady.values, 50))} / ${ms(percentile(steady.values, 95))} / ${ms(percentile(steady.values, 99))} (${steady.missing} missing, ${steady.duplicates} duplicates) | p99 < 100 ms ${mark(percentile(steady.values, 99) < 100)} |`,
      `| (g) unchanged re-sends, ${c} in flight from another process | **${rate(throughput(resendPhase))}** (${unchanged}/${resendTotal} answered unchanged${wrkLatency}; client: ${resendClient}; per re-send Temporal server CPU ${ms(cpuPerCall(Math.max(1, resendPhase.result.ok), resendPhase.cpu).temporal)}, Klaxon process CPU ${ms(resendCpu)} = ${rate(1000 / resendCpu)} per core) | ≥ 5,000/s ${mark(throughput(resendPhase) >= 5000)} |`,
      '',
      ...(noisy
        ? [
            `⚠ Other processes on the machine took ${othersIn(ingest).toFixed(2)} cores during (a) but ${othersIn(ceiling).toFixed(2)} during (b): ` +
              'the ratio is skewed by them; run again on a quiet machine.',
            '',
          ]
        : []),
      ...reading({ incidentsPerSec, ceilingPerSec, callShapePerSec: disturbed(callShape, ceiling) ? undefined : throughput(callShape), notifyRate, n, incidentCpu, startCpu: cpuPerCall(Math.max(1, ceiling.result.ok), ceiling.cpu), startOnlyCpu: cpuPerCall(Math.max(1, unpolled.result.ok), unpolled.cpu) }),
      '',
      'The ceiling is `client.workflow.start` of a do-nothing workflow on a task queue a worker polls, from the same client at the same ' +
        "concurrency, just before (a): the server-side cost every incident pays at least, on the same (sync-match) path Klaxon's incidents take. " +
        'Nobody polling (b3) is the other way to measure it: the server then persists each task instead of handing it over and nothing runs; ' +
        'it comes out within about 10% of (b), so the choice does not change the conclusion.',
      '',
      `CPU per call is CPU time over the phase divided by calls; for (a) it includes working the incidents off until the last notification: ` +
        `Temporal server ${ms(incidentCpu.temporal)}, Klaxon process ${ms(incidentCpu.klaxon)} per incident.`,
      '',
      '| phase | calls | rate | call p50 | call p99 | Temporal server CPU / call | bench process CPU / call | errors |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      phaseRow('(a) webhook: HTTP + validation + `IngestService.ingest`, Klaxon worker running', ingest, 'incidents'),
      phaseRow('(a2) `IngestService.ingest` called directly (no HTTP), Klaxon worker running', direct, 'incidents'),
      phaseRow("(b2) `IngestService.ingest` into a do-nothing `incidentWorkflow` (Klaxon's exact Temporal call)", callShape, 'incidents'),
      phaseRow('(b) `workflow.start`, do-nothing workflow (ceiling)', ceiling, 'workflows'),
      phaseRow('(b3) `workflow.start`, nobody polling', unpolled, 'workflows'),
      '',
      'CPU per phase, in cores (this machine has 2), from /proc: per thread of the bench process and per child process, and the rest of the machine:',
      '',
      `- (a): ${cpuText(ingest.cpu)}; event-loop delay p50 ${ms(loop.percentile(50) / 1e6)}, p99 ${ms(loop.percentile(99) / 1e6)}, max ${ms(loop.max / 1e6)}`,
      `- (a) after the last answer until the last notification: ${cpuText(loaded.cpu)}`,
      `- (e): ${cpuText(sustainedPhase.cpu)}`,
      `- (f): ${cpuText(steadyPhase.cpu)}`,
      `- (g): ${cpuText(resendPhase.cpu)}`,
      `- (h): ${cpuText(pageStarts.cpu)}`,
      `- (a2): ${cpuText(direct.cpu)}`,
      `- (b2): ${cpuText(callShape.cpu)}`,
      `- (b): ${cpuText(ceiling.cpu)}`,
      `- (b3): ${cpuText(unpolled.cpu)}`,
      '',
    ];
    return lines.join('\n');
  } finally {
    if (trivial) {
      trivial.worker.shutdown();
      await trivial.running.catch(() => undefined);
      await trivial.connection.close().catch(() => undefined);
    }
    await http?.close().catch(() => undefined);
    await klaxon?.stop().catch(() => undefined);
    await receiver?.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
