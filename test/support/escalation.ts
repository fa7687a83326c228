import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { createActivities } from '../../activities';
import { ConfigStore } from '../../src/config/store';
import { requireTemporalBinary } from '../../src/temporal/binaries';
import { openDatabase, type Database } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { IncidentStore } from '../../src/store/incidents';
import { NotificationLedger } from '../../src/delivery/ledger';
import { NotificationAttempts } from '../../src/delivery/attempts';
import { createHttpDelivery } from '../../src/notifiers/http';
import type { AlertView } from '../../src/incident/view';
import { incidentWorkflowId } from '../../src/incident/ids';
import { INCIDENT_WORKFLOW, stateQuery, type IncidentInput } from '../../workflows/definitions';
import type { incidentWorkflow } from '../../workflows/incident';
import { installRuntime, testAudit, testConfig } from './klaxon';
import { HEARTBEAT_THROTTLE } from '../../src/temporal/worker';
import { RunbookStore } from '../../src/store/runbooks';
import { loadRunbooks, runbookDirs } from '../../src/runbook/load';
import { TEST_RUNBOOKS } from './runbooks';
import { fixtureDataConverter } from './encryption';
import { IngestService } from '../../src/ingest/ingest';

/**
 * The incident workflow on Temporal's time-skipping test server, with the real activities, the
 * real audit store and real HTTP to local receivers: an hour of policy runs in seconds.
 */
export async function startEscalationHarness(yaml: string, secrets: Record<string, string>) {
  installRuntime();
  // Encrypted as in production, under the fixture keyring, so histories captured from here
  // (test/fixtures/histories/capture.ts) replay in the replay test.
  const dataConverter = fixtureDataConverter();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: requireTemporalBinary('testServer') } },
    client: { dataConverter },
  });
  const db: Database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'klaxon-esc-')) });
  await migrate(db.pool);
  const config = new ConfigStore(testConfig(yaml, secrets));
  const incidents = new IncidentStore(db.pool, testAudit());
  const ledger = new NotificationLedger(db.pool);
  const taskQueue = `esc-${randomUUID()}`;
  // The runbooks globalSetup bundled (the shipped examples and the test runbooks).
  const runbookSet = loadRunbooks(runbookDirs(TEST_RUNBOOKS));
  const activityClient = new Client({ connection: env.connection, dataConverter });
  // What the worker raises itself (a missed heartbeat) goes through ingest, as in production.
  const ingest = new IngestService(activityClient, taskQueue, (id) => incidents.hasEnded(id), (i) => incidents.accept(i), false, { searchAttributes: false });
  // Without a workflow cache there is no sticky queue: the time-skipping server does not move a dead
  // worker's sticky tasks elsewhere, and replaying every task from history is the stricter test anyway.
  const makeWorker = (opts: { cache?: boolean } = {}) =>
    Worker.create({
      maxCachedWorkflows: opts.cache === false ? 0 : undefined,
      ...HEARTBEAT_THROTTLE,
      // The time-skipping server sometimes rejects a workflow task that starts activities eagerly
      // ("invalid history builder state"), leaving the workflow stuck; the dev server does not.
      maxEagerActivityReservationsPerWorkflowTask: 0,
      connection: env.nativeConnection,
      dataConverter,
      taskQueue,
      workflowBundle: { codePath: process.env.KLAXON_TEST_BUNDLE! },
      activities: createActivities({
        config,
        incidents,
        ledger,
        attempts: new NotificationAttempts(db.pool),
        notifier: { http: createHttpDelivery(), now: () => new Date() },
        namespace: 'default',
        temporal: activityClient,
        runbookStore: new RunbookStore(db.pool),
        runbookSet,
        ingest,
      }),
    });

  let n = 0;
  /** Starts a polling worker; the returned function shuts it down and waits until it has stopped. */
  const startWorker = async (opts: { cache?: boolean } = {}) => {
    const worker = await makeWorker(opts);
    const running = worker.run();
    return async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    };
  };
  return {
    startWorker,
    env,
    db,
    config,
    incidents,
    ledger,
    taskQueue,
    makeWorker,
    /** Starts an incident for `tenant` with alerts carrying `labels`, directly (no webhook). */
    async startIncident(tenant: string, labels: Record<string, string>, extra: Partial<IncidentInput> = {}) {
      const groupKey = `{}:{test="${randomUUID()}-${++n}"}`;
      const alerts: AlertView[] = [
        { fingerprint: `fp${n}`, status: 'firing', labels, annotations: { summary: 'test alert' }, startsAt: new Date().toISOString() },
      ];
      const input: IncidentInput = { tenant, groupKey, alerts, commonLabels: labels, receivedAt: new Date().toISOString(), ...extra };
      return env.client.workflow.start<typeof incidentWorkflow>(INCIDENT_WORKFLOW, {
        taskQueue,
        workflowId: incidentWorkflowId(tenant, groupKey),
        args: [input],
      });
    },
    /**
     * Waits for an incident's run to end and for its resolve notices, which a detached
     * workflow finishes after the incident's own run has completed.
     */
    async finished(handle: { workflowId: string; result(): Promise<unknown>; query: (q: typeof stateQuery) => Promise<{ id: string }> }) {
      await handle.result();
      const { id } = await handle.query(stateQuery);
      const notices = env.client.workflow.getHandle(`${handle.workflowId}/notices/${id}`);
      // Nothing was left to tell (nobody paged, or every notice went out before the run ended).
      // Asked first: awaiting the result of a workflow that does not exist lets the time-skipping
      // server skip ahead by years before it answers "not found".
      const exists = await notices.describe().then(() => true, (err: Error) => {
        if (!/not found/i.test(err.message)) throw err;
        return false;
      });
      if (exists) await notices.result();
    },
    async stop() {
      await db.close();
      await env.teardown();
    },
  };
}
