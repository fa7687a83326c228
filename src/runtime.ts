import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { clientConnectionOptions, connectClient, temporalSecurity, type TemporalSecurity } from './temporal/connectionOptions';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { KlaxonConfig } from './config/schema';
import { ConfigStore } from './config/store';
import type { KlaxonEnv } from './config/env';
import { createLogger, type Logger } from './logger';
import { startDevServer, type DevServer } from './temporal/devServer';
import { registerSearchAttributes } from './temporal/registerSearchAttributes';
import { prebuiltWorkflowBundle } from './temporal/bundle';
import { createWorker } from './temporal/worker';
import { cachedWorkflowsFor } from './temporal/workerMemory';
import { installTemporalRuntime } from './temporal/logging';
import { openDatabase, type Database } from './store/db';
import { migrate } from './store/migrate';
import { IncidentStore, type AuditWriting } from './store/incidents';
import { EndedFeed } from './store/endedFeed';
import { resolveAuditKey } from './audit/key';
import { adoptLegacyEvents } from './audit/chain';
import { redactorFor } from './audit/redact';
import { NotificationLedger } from './delivery/ledger';
import { NotificationAttempts } from './delivery/attempts';
import { RunbookStore } from './store/runbooks';
import { loadRunbooks, runbookDirs } from './runbook/load';
import { watchTemporal } from './temporal/reachability';
import { IngestService } from './ingest/ingest';
import { Heartbeats } from './heartbeat/heartbeats';
import { buildApp } from './server/app';
import { createHttpDelivery } from './notifiers/http';
import { startDefaultMetrics } from './metrics';
import { collectOpenIncidents } from './store/openIncidents';
import { collectReceiverStates } from './notifiers/circuitMetrics';
import { SharedLimits } from './notifiers/sharedLimits';
import { SharedCircuitBreakers } from './notifiers/sharedBreakers';
import { SharedRateLimiter } from './notifiers/sharedRateLimiter';
import { startMetricsServer } from './server/metricsServer';
import { ModelStore } from './store/models';
import { syncRetentionSchedules, syncRetrainSchedules } from './temporal/schedules';
import { payloadEncryption, type PayloadEncryption } from './temporal/encryption';
import { freePort } from './temporal/devServer';
import { codecCorsOrigins, embeddedUiCodec, type CodecSettings } from './server/plugins/codec';

export interface KlaxonOptions {
  env: KlaxonEnv;
  /** A config object instead of reading KLAXON_CONFIG (tests). */
  config?: KlaxonConfig;
  log?: Logger;
  /** Prebuilt workflow bundle; built (and cached in the data dir) when absent. */
  workflowBundle?: { codePath: string };
  /** Run the HTTP server (default) and/or the worker (default). */
  http?: boolean;
  worker?: boolean;
  /** How often Temporal's reachability is checked for the log (default 5 s). */
  temporalWatchMs?: number;
}

export interface Klaxon {
  url: string;
  /** The tenants' heartbeats: beats, and their sync with the config (start, SIGHUP). */
  heartbeats: Heartbeats;
  temporalAddress: string;
  temporalUiUrl?: string;
  config: ConfigStore;
  client: Client;
  /** Payload encryption every Client and Worker of this Klaxon uses (tests build their own workers with it). */
  encryption: PayloadEncryption;
  db: Database;
  /** The audit chain's key and the tenants' redaction (what IncidentStore writes with). */
  audit: AuditWriting;
  app?: FastifyInstance;
  worker?: Worker;
  log: Logger;
  stop(): Promise<void>;
}

/**
 * Starts the whole product in one process tree: Temporal (external or embedded dev server), the
 * audit store (Postgres or embedded PGlite, migrated), the worker and the HTTP server. `stop()`
 * shuts them down in the reverse order: stop accepting, drain requests, drain the worker, then the
 * embedded servers.
 */
export async function startKlaxon(opts: KlaxonOptions): Promise<Klaxon> {
  const { env } = opts;
  const log = opts.log ?? createLogger({ level: env.LOG_LEVEL });
  const dataDir = resolve(env.KLAXON_DATA_DIR);
  const config = opts.config ? new ConfigStore(opts.config) : ConfigStore.fromFile(env.KLAXON_CONFIG);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: Error) => log.error({ err: err.message }, 'shutdown step failed'));
  };

  try {
    // Before anything talks to Temporal: every payload Klaxon writes is encrypted (src/crypto).
    const encryption = payloadEncryption(env, log);
    // Read before anything connects, so a bad TLS or API key setting stops the start with its variable named.
    const security: TemporalSecurity = temporalSecurity(env);
    const { dataConverter } = encryption;
    const codec: CodecSettings = { codec: encryption.codec, corsOrigins: codecCorsOrigins(env), namespace: env.TEMPORAL_NAMESPACE };
    let devServer: DevServer | undefined;
    let address = env.TEMPORAL_ADDRESS;
    // The HTTP port is fixed before the embedded UI starts, so the UI can be pointed at its codec server.
    let httpPort = env.PORT;
    if (!address) {
      let uiCodecEndpoint: string | undefined;
      if (env.TEMPORAL_UI_PORT && opts.http !== false) {
        httpPort = env.PORT || (await freePort());
        const ui = embeddedUiCodec(env.HOST, httpPort);
        codec.uiSecret = ui.secret;
        uiCodecEndpoint = ui.endpoint;
      }
      devServer = await startDevServer({ dataDir: join(dataDir, 'temporal'), port: env.TEMPORAL_PORT, uiPort: env.TEMPORAL_UI_PORT || undefined, uiCodecEndpoint, namespace: env.TEMPORAL_NAMESPACE, log });
      stops.push(() => devServer!.stop());
      address = devServer.address;
    }
    // TLS, mTLS and API key apply to an external server only (temporalSecurity refuses them without TEMPORAL_ADDRESS).
    const connection = await connectClient(address, security);
    if (security.tls) log.info({ address, security: security.describe }, 'temporal connection secured');
    stops.push(() => connection.close());
    if (!devServer) {
      const added = await registerSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
      if (added.length) log.info({ added }, 'registered search attributes');
    }
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter });
    // Health checks go through their own connection without the client's retries (see reachability.ts).
    const probe = await Connection.lazy(clientConnectionOptions(address, security, { interceptors: [] }));
    stops.push(() => probe.close());
    const watch = watchTemporal(probe, log, opts.temporalWatchMs);
    stops.push(async () => watch.stop());
    // One retrain schedule per tenant (anomaly.retrainCron); failures are logged, not fatal.
    await syncRetrainSchedules(client, config.config, env.KLAXON_TASK_QUEUE, log);
    await syncRetentionSchedules(client, config.config, env.KLAXON_TASK_QUEUE, log);

    const db = await openDatabase({ url: env.DATABASE_URL, dataDir, log });
    stops.push(() => db.close());
    const applied = await migrate(db.pool);
    log.info({ store: db.describe, applied }, 'audit store ready');
    const { key: auditKey, created } = resolveAuditKey({
      configured: config.config.server.auditKey,
      env: { KLAXON_AUDIT_KEY: env.KLAXON_AUDIT_KEY, KLAXON_AUDIT_KEY_FILE: env.KLAXON_AUDIT_KEY_FILE },
      dataDir,
      create: true,
    });
    if (created) log.warn({ file: auditKey.source, keyId: auditKey.id }, 'created an audit key in the data dir (set server.auditKey to supply your own)');
    // Not fatal: paging must not wait for the audit trail's history; the next start tries again.
    await adoptLegacyEvents(db.pool, auditKey).then(
      (adopted) => adopted && log.info({ adopted, keyId: auditKey.id }, 'audit rows from before the hash chain are now chained'),
      (err: Error) => log.error({ err: err.message }, 'could not chain the audit rows from before the hash chain'),
    );
    const audit: AuditWriting = { key: auditKey, redactor: (tenant) => redactorFor(config.tenant(tenant)?.privacy) };
    const incidents = new IncidentStore(db.pool, audit);
    const attempts = new NotificationAttempts(db.pool);
    const runbookStore = new RunbookStore(db.pool);
    const dirs = runbookDirs(env.KLAXON_RUNBOOKS);
    const runbookSet = loadRunbooks(dirs);
    for (const error of runbookSet.errors) log.error({ error }, 'runbook left out');
    if (runbookSet.byName.size) log.info({ runbooks: [...runbookSet.byName.keys()] }, 'runbooks loaded');
    // One ingest path for the webhook and for what workers raise themselves (a missed heartbeat).
    // Ends heard from the audit store (Postgres only), so unchanged re-sends need no store read.
    let ingest: IngestService | undefined;
    const endings = db.listener && opts.http !== false ? new EndedFeed(db.listener, (workflowId, id) => ingest?.forget(workflowId, id), { log: log.child({ component: 'ingest' }) }) : undefined;
    if (endings) {
      // Not awaited: until it listens, re-sends are checked against the store as before.
      void endings.start();
      stops.push(() => endings.stop());
    }
    ingest = new IngestService(client, env.KLAXON_TASK_QUEUE, (id) => incidents.hasEnded(id), (i) => incidents.accept(i), [...runbookSet.byName.values()].some((r) => r.runbook.mode !== 'manual'), { endings });
    const heartbeats = new Heartbeats(client, env.KLAXON_TASK_QUEUE);
    // Receivers' rate limits and circuit breakers, kept together by every process on this database
    // (on the ledger's lane: they are on the paging path too). One set per process, so `--role all`
    // reports what its own worker sees even while the store is unreachable.
    const sharedLimits = new SharedLimits(db.urgent, { log: log.child({ component: 'receiver-limits' }) });
    const breakers = new SharedCircuitBreakers(sharedLimits);

    let worker: Worker | undefined;
    if (opts.worker !== false) {
      installTemporalRuntime(log, env.TEMPORAL_METRICS_ADDRESS || `127.0.0.1:${await freePort()}`);
      breakers.start();
      stops.push(async () => breakers.stop());
      const stopCircuitMetrics = collectReceiverStates(config, breakers);
      stops.push(async () => stopCircuitMetrics());
      const bundle = opts.workflowBundle ?? (await prebuiltWorkflowBundle(join(dataDir, 'cache'), dirs));
      const cachedWorkflows = cachedWorkflowsFor(env.KLAXON_WORKER_MEMORY);
      const created = await createWorker({
        address,
        security,
        namespace: env.TEMPORAL_NAMESPACE,
        taskQueue: env.KLAXON_TASK_QUEUE,
        workflowBundle: bundle,
        dataConverter,
        maxCachedWorkflows: cachedWorkflows,
        deps: {
          config,
          incidents,
          ledger: new NotificationLedger(db.urgent),
          attempts,
          notifier: { http: createHttpDelivery(), now: () => new Date() },
          limits: { rateLimiter: new SharedRateLimiter(sharedLimits), breakers },
          namespace: env.TEMPORAL_NAMESPACE,
          temporal: client,
          models: new ModelStore(db.pool),
          runbookStore,
          runbookSet,
          ingest,
          retention: { pool: db.pool, key: auditKey },
        },
      });
      worker = created.worker;
      const running = worker.run();
      stops.push(async () => {
        if (worker!.getState() === 'RUNNING') worker!.shutdown();
        await running;
        await created.connection.close();
      });
      log.info({ taskQueue: env.KLAXON_TASK_QUEUE, memory: `${Math.round(env.KLAXON_WORKER_MEMORY / 1024 ** 2)}MiB`, cachedWorkflows }, 'worker running');
    }

    let app: FastifyInstance | undefined;
    let url = '';
    if (opts.http === false && env.METRICS_PORT !== undefined) {
      startDefaultMetrics();
      const metrics = await startMetricsServer(env.METRICS_PORT, env.HOST);
      stops.push(() => metrics.close());
      log.info({ url: `${metrics.url}/metrics` }, 'metrics listening');
    }
    if (opts.http !== false) {
      startDefaultMetrics();
      // The HTTP side reports what the store holds; each replica reports the same (dashboards take max).
      const stopOpenMetrics = collectOpenIncidents(db.pool, log);
      stops.push(async () => stopOpenMetrics());
      app = await buildApp({ config, codec, temporal: client, temporalProbe: probe, db, incidents, attempts, runbookStore, runbookSet, ingest, heartbeats, breakers, taskQueue: env.KLAXON_TASK_QUEUE }, log);
      url = await app.listen({ port: httpPort, host: env.HOST });
      stops.push(() => app!.close());
      log.info({ url, tenants: Object.keys(config.config.tenants) }, 'http server listening');
    }

    // Every configured heartbeat watches from now on, beaten or not; removed ones are retired.
    await heartbeats.sync(config.config, log);

    return {
      heartbeats,
      url: url.replace('0.0.0.0', '127.0.0.1'),
      temporalAddress: address,
      temporalUiUrl: devServer?.uiUrl,
      config,
      client,
      encryption,
      db,
      audit,
      app,
      worker,
      log,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
