/**
 * Ingest and notification benchmark (issue 2): how fast Alertmanager webhooks become incident
 * workflows, compared with the Temporal server's own start rate, and how long an alert takes to
 * reach a receiver.
 *
 * Everything runs on embedded defaults, as `npm start` would: Klaxon starts its own Temporal dev
 * server and PGlite (or uses DATABASE_URL), in this process; the webhook receiver runs in a child
 * process. See BENCHMARKS.md for the numbers and `npm run bench -- ingest` to reproduce them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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
import { runClosedLoop, type LoadResult } from './support/load';
import { cpuDelta, cpuSnapshot, type CpuSnapshot } from './support/cpu';
import { ms, percentile, perSecond, rate, wallNow } from './support/stats';

export interface IngestBenchOptions {
  /** Payloads (= incidents) per measured phase; env BENCH_N. */
  n?: number;
  /** Requests in flight; env BENCH_C. */
  c?: number;
  /** Warm-up payloads before measuring; env BENCH_WARMUP. */
  warmup?: number;
  /** Paced payloads for the unloaded latency; env BENCH_IDLE. */
  idle?: number;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

const TENANT = 'bench';
const TRIVIAL_WORKFLOW = 'benchTrivialWorkflow';

const intEnv = (name: string, fallback: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${v}: expected a positive integer`);
  return n;
};

function tenantYaml(): string {
  return `
tenants:
  ${TENANT}:
    webhook: { token: "\${BENCH_HOOK_TOKEN}" }
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

/** Mean of the webhook handler's own timer (validation + ingest) since `before`. */
async function handlerMeanMs(before?: { sum: number; count: number }): Promise<{ sum: number; count: number; meanMs: number }> {
  const values = (await webhookDuration.get()).values.filter((v) => v.labels.code === '202');
  const sum = values.filter((v) => v.metricName?.endsWith('_sum')).reduce((a, v) => a + v.value, 0);
  const count = values.filter((v) => v.metricName?.endsWith('_count')).reduce((a, v) => a + v.value, 0);
  const dSum = sum - (before?.sum ?? 0);
  const dCount = count - (before?.count ?? 0);
  return { sum, count, meanMs: dCount > 0 ? (dSum / dCount) * 1000 : Number.NaN };
}

interface Phase {
  name: string;
  result: LoadResult<unknown>;
  cpu: Array<{ who: string; cores: number }>;
}

function latencies(r: LoadResult<unknown>): number[] {
  return r.samples.filter((s) => !s.error).map((s) => s.latencyMs);
}

function phaseRow(label: string, p: Phase, unit: string): string {
  const l = latencies(p.result);
  const errors = p.result.errors ? `${p.result.errors} (${p.result.errorExamples.join('; ')})` : '0';
  return `| ${label} | ${rate(perSecond(p.result.ok, p.result.elapsedMs))} ${unit} | ${ms(percentile(l, 50))} | ${ms(percentile(l, 99))} | ${errors} |`;
}

function cpuText(cpu: Array<{ who: string; cores: number }>): string {
  const total = cpu.reduce((a, r) => a + r.cores, 0);
  return `${total.toFixed(2)} cores busy: ` + cpu.slice(0, 6).map((r) => `${r.who} ${r.cores.toFixed(2)}`).join(', ');
}

/** First `firing` arrival per incident id, and how many arrivals were extra copies. */
function firstArrivals(arrivals: Arrival[]): { first: Map<string, number>; duplicates: number; unmatched: number } {
  const first = new Map<string, number>();
  let duplicates = 0;
  let unmatched = 0;
  for (const a of arrivals) {
    if (!a.incidentId || a.kind !== 'firing') {
      unmatched++;
      continue;
    }
    const seen = first.get(a.incidentId);
    if (seen === undefined) first.set(a.incidentId, a.at);
    else {
      duplicates++;
      if (a.at < seen) first.set(a.incidentId, a.at);
    }
  }
  return { first, duplicates, unmatched };
}

function notificationLatencies(samples: LoadResult<IngestedIncident[]>['samples'], first: Map<string, number>): { values: number[]; missing: number; lastAt: number } {
  const values: number[] = [];
  let missing = 0;
  let lastAt = 0;
  for (const s of samples) {
    const id = s.value?.[0]?.incidentId;
    const at = id ? first.get(id) : undefined;
    if (at === undefined) {
      missing++;
      continue;
    }
    values.push(at - s.sentAt);
    lastAt = Math.max(lastAt, at);
  }
  return { values, missing, lastAt };
}

/**
 * Runs the whole ingest benchmark on one fresh stack and returns its Markdown section. Throws only
 * when the stack cannot be started or the measured ingest phase fails outright.
 */
export async function benchIngest(opts: IngestBenchOptions = {}): Promise<string> {
  const n = opts.n ?? intEnv('BENCH_N', 500);
  const c = opts.c ?? intEnv('BENCH_C', 16);
  const warmup = opts.warmup ?? intEnv('BENCH_WARMUP', Math.min(100, n));
  const idle = opts.idle ?? intEnv('BENCH_IDLE', 30);
  const say = opts.log ?? ((line: string) => process.stderr.write(`[bench:ingest] ${line}\n`));
  const run = randomUUID().slice(0, 8);

  installQuietRuntime();
  const dataDir = mkdtempSync(join(tmpdir(), 'klaxon-bench-'));
  let receiver: BenchReceiver | undefined;
  let klaxon: Klaxon | undefined;
  let http: Pool | undefined;
  let trivialWorker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
  try {
    receiver = await startBenchReceiver();
    const secrets = { BENCH_HOOK_TOKEN: randomBytes(16).toString('hex'), BENCH_API_TOKEN: randomBytes(16).toString('hex'), BENCH_RECEIVER_URL: `${receiver.url}/hook` };
    const parsed = parseConfig(tenantYaml(), secrets);
    if (!parsed.ok) throw new Error('bench config invalid: ' + JSON.stringify(parsed.problems));
    const env = envSchema.parse({
      PORT: '0',
      HOST: '127.0.0.1',
      KLAXON_DATA_DIR: dataDir,
      KLAXON_TASK_QUEUE: `bench-${run}`,
      TEMPORAL_PORT: '0',
      TEMPORAL_UI_PORT: '0',
      DATABASE_URL: process.env.DATABASE_URL || undefined,
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
    const temporalPid = [...cpuSnapshot().children].find(([, ch]) => ch.name.startsWith('temporal'))?.[0];
    const names: Record<number, string> = { [receiver.pid]: 'receiver (child process)' };
    if (temporalPid) names[temporalPid] = 'Temporal dev server';
    say(`stack up in ${ms(startupMs)} (bundle ${ms(bundleMs)}); ${dbText}; n=${n} c=${c} warm-up=${warmup}`);

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
    const measure = async <T>(name: string, count: number, task: (i: number) => Promise<T>): Promise<Phase & { result: LoadResult<T> }> => {
      say(`${name}: ${count} calls at concurrency ${c}…`);
      const before: CpuSnapshot = cpuSnapshot();
      const result = await runClosedLoop(count, c, task);
      const cpu = cpuDelta(before, cpuSnapshot(), names);
      say(`${name}: ${rate(perSecond(result.ok, result.elapsedMs))}, p50 ${ms(percentile(latencies(result), 50))}, p99 ${ms(percentile(latencies(result), 99))}, errors ${result.errors}`);
      return { name, result, cpu };
    };

    // Warm-up: JIT, connection pools, the worker's workflow cache and sandbox, PGlite's buffers.
    const warm = bodies('warm', warmup);
    await runClosedLoop(warmup, c, (i) => post(warm[i]));
    await receiver.waitFor(warmup, 60_000);
    await receiver.take();

    // (a) The product path: HTTP → validation → signalWithStart, while the worker runs the incidents.
    const ingestBodies = bodies('ingest', n);
    const loop = monitorEventLoopDelay({ resolution: 5 });
    const handlerBefore = await handlerMeanMs();
    loop.enable();
    const ingest = await measure('(a) webhook ingest', n, (i) => post(ingestBodies[i]));
    loop.disable();
    const handler = await handlerMeanMs(handlerBefore);
    if (ingest.result.ok === 0) throw new Error(`every webhook call failed: ${ingest.result.errorExamples.join('; ')}`);
    const drainBefore = cpuSnapshot();
    const got = await receiver.waitFor(ingest.result.ok, 120_000);
    const drainCpu = cpuDelta(drainBefore, cpuSnapshot(), names);
    const loaded = firstArrivals(await receiver.take());
    const firstLoaded = notificationLatencies(ingest.result.samples, loaded.first);
    const phaseStart = Math.min(...ingest.result.samples.map((s) => s.sentAt));
    const notifyElapsed = firstLoaded.lastAt - phaseStart;
    say(`notifications: ${got}/${ingest.result.ok} arrived; first-notification p50 ${ms(percentile(firstLoaded.values, 50))}, p99 ${ms(percentile(firstLoaded.values, 99))}`);

    // (c) The same path unloaded: one payload every 100 ms, to separate queueing from the pipeline.
    const idleBodies = bodies('idle', idle);
    const idleSamples: LoadResult<IngestedIncident[]>['samples'] = [];
    for (let i = 0; i < idle; i++) {
      const sentAt = wallNow();
      const t0 = performance.now();
      try {
        const value = await post(idleBodies[i]);
        idleSamples.push({ index: i, sentAt, latencyMs: performance.now() - t0, value });
      } catch (err) {
        idleSamples.push({ index: i, sentAt, latencyMs: performance.now() - t0, error: (err as Error).message });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await receiver.waitFor(idleSamples.filter((s) => !s.error).length, 30_000);
    const firstIdle = notificationLatencies(idleSamples, firstArrivals(await receiver.take()).first);
    const idleWebhook = idleSamples.filter((s) => !s.error).map((s) => s.latencyMs);
    say(`idle: webhook p50 ${ms(percentile(idleWebhook, 50))}, first-notification p50 ${ms(percentile(firstIdle.values, 50))}, p99 ${ms(percentile(firstIdle.values, 99))}`);

    // (b) The ceiling: the Temporal server's own start rate from this client at the same
    // concurrency, on a task queue nobody polls (the server-side cost every incident pays, with
    // no worker competing for the CPU).
    const client = klaxon.client;
    const unpolled = `bench-unpolled-${run}`;
    const startTrivial = (prefix: string, queue: string) => (i: number) =>
      client.workflow.start(TRIVIAL_WORKFLOW, { taskQueue: queue, workflowId: `bench/${run}/${prefix}/${i}` }).then(() => undefined);
    await runClosedLoop(Math.min(50, n), c, startTrivial('warm-start', unpolled));
    const ceiling = await measure('(b) ceiling: workflow.start, unpolled', n, startTrivial('start', unpolled));

    // Diagnostics. (b2) Klaxon's own ingest function (signalWithStart with input, signal and five
    // search attributes) without HTTP and without a worker: Temporal's share of an ingest.
    const direct = new IngestService(client, unpolled);
    const tenant = klaxon.config.tenant(TENANT)!;
    const directPayloads = bodies('direct', n).map((b) => JSON.parse(b));
    const ingestDirect = await measure('(b2) IngestService.ingest, unpolled', n, (i) => direct.ingest(TENANT, tenant, directPayloads[i]));

    // (b3) Trivial workflows with a worker executing them in this process (its own bundle and
    // task queue): what a running worker costs the start rate even when workflows do nothing.
    const trivialQueue = `bench-trivial-${run}`;
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('./support/trivialWorkflow'),
      logger: { info() {}, debug() {}, trace() {}, warn() {}, error: console.error, log() {} },
    });
    const connection = await NativeConnection.connect({ address: klaxon.temporalAddress });
    const worker = await Worker.create({ connection, namespace: env.TEMPORAL_NAMESPACE, taskQueue: trivialQueue, workflowBundle: { code } });
    trivialWorker = { worker, connection, running: worker.run() };
    await runClosedLoop(Math.min(50, n), c, startTrivial('warm-trivial', trivialQueue));
    const trivial = await measure('(b3) workflow.start, trivial worker running', n, startTrivial('trivial', trivialQueue));
    worker.shutdown();
    await trivialWorker.running;
    await connection.close();
    trivialWorker = undefined;

    // (d) The product path again with Klaxon's worker stopped (last: it ends the stack's worker):
    // the HTTP layer's cost on top of (b2), without the worker competing for the two cores.
    klaxon.worker?.shutdown();
    const noWorkerBodies = bodies('noworker', n);
    const ingestNoWorker = await measure('(d) webhook ingest, worker stopped', n, (i) => post(noWorkerBodies[i]));

    // ---- report
    const incidentsPerSec = perSecond(ingest.result.ok, ingest.result.elapsedMs);
    const ceilingPerSec = perSecond(ceiling.result.ok, ceiling.result.elapsedMs);
    const ratio = incidentsPerSec / ceilingPerSec;
    const webhook = latencies(ingest.result);
    const p99First = percentile(firstLoaded.values, 99);
    const mark = (ok: boolean) => (ok ? '✅ met' : '❌ missed');
    const lines = [
      '## Ingest and first notification',
      '',
      `Stack: Klaxon on embedded defaults in the bench process (HTTP server and worker), Temporal dev server started by Klaxon (SQLite), ` +
        `audit store ${dbText}. Receiver: a \`webhook\` receiver pointing at an HTTP endpoint in a child process that timestamps each arrival. ` +
        `Load: ${n} Alertmanager payloads shaped like \`test/fixtures/alertmanager/firing-group.json\` (${alertsPerPayload} alerts each, ` +
        `every payload its own group, so one incident per request) at concurrency ${c} over HTTP/1.1 keep-alive (undici Pool, ${c} connections), ` +
        `after ${warmup} warm-up payloads. The load generator shares the process with Klaxon. Startup: ${ms(startupMs)} (+ ${ms(bundleMs)} workflow bundle).`,
      '',
      '| measure | result | target |',
      '| --- | --- | --- |',
      `| (a) webhook ingest | **${rate(incidentsPerSec)} incidents** (${rate(incidentsPerSec * alertsPerPayload)} alerts), ${ingest.result.errors} errors | |`,
      `| (a) webhook latency p50 / p99 | ${ms(percentile(webhook, 50))} / ${ms(percentile(webhook, 99))} (handler's own mean ${ms(handler.meanMs)}) | |`,
      `| (b) ceiling: \`client.workflow.start\`, no worker polling | **${rate(ceilingPerSec)} workflows** | |`,
      `| ratio (a) / (b) | **${ratio.toFixed(2)}** | ≥ 0.8 ${mark(ratio >= 0.8)} |`,
      `| first notification p50 / p99, during (a) | ${ms(percentile(firstLoaded.values, 50))} / **${ms(p99First)}** (max ${ms(Math.max(...firstLoaded.values))}; ${firstLoaded.missing} missing, ${loaded.duplicates} duplicates) | p99 < 1 s ${mark(p99First < 1000)} |`,
      `| first notification p50 / p99, unloaded (1 payload / 100 ms, ${idle}) | ${ms(percentile(firstIdle.values, 50))} / ${ms(percentile(firstIdle.values, 99))} (webhook p50 ${ms(percentile(idleWebhook, 50))}) | |`,
      `| notifications delivered per second during (a) | ${rate(perSecond(firstLoaded.values.length, notifyElapsed))} (last one ${ms(notifyElapsed - ingest.result.elapsedMs)} after the last webhook answer) | |`,
      '',
      'Why the ceiling is an unpolled `workflow.start`: it is the server-side cost every incident pays at minimum (one workflow start), ' +
        'measured from the same client at the same concurrency, with nothing else competing for the CPU. The rows below split the gap.',
      '',
      '| phase | rate | p50 | p99 | errors |',
      '| --- | --- | --- | --- | --- |',
      phaseRow('(a) webhook ingest (HTTP + validation + signalWithStart), worker running', ingest, 'incidents'),
      phaseRow('(d) webhook ingest, worker stopped', ingestNoWorker, 'incidents'),
      phaseRow('(b2) `IngestService.ingest` directly (signalWithStart + 5 search attributes), no worker', ingestDirect, 'incidents'),
      phaseRow('(b) `workflow.start` of a trivial type, no worker', ceiling, 'workflows'),
      phaseRow('(b3) `workflow.start` of a trivial type, trivial worker running', trivial, 'workflows'),
      '',
      'CPU during each phase (2 cores = 2.00; from /proc, per thread of this process and per child process):',
      '',
      `- (a): ${cpuText(ingest.cpu)}; event-loop delay p50 ${ms(loop.percentile(50) / 1e6)}, p99 ${ms(loop.percentile(99) / 1e6)}, max ${ms(loop.max / 1e6)}`,
      `- (a) drain, after the last webhook answer until the last notification: ${cpuText(drainCpu)}`,
      `- (d): ${cpuText(ingestNoWorker.cpu)}`,
      `- (b2): ${cpuText(ingestDirect.cpu)}`,
      `- (b): ${cpuText(ceiling.cpu)}`,
      `- (b3): ${cpuText(trivial.cpu)}`,
      '',
    ];
    return lines.join('\n');
  } finally {
    if (trivialWorker) {
      trivialWorker.worker.shutdown();
      await trivialWorker.running.catch(() => undefined);
      await trivialWorker.connection.close().catch(() => undefined);
    }
    await http?.close().catch(() => undefined);
    await klaxon?.stop().catch(() => undefined);
    await receiver?.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
