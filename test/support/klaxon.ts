import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { envSchema } from '../../src/config/env';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { startKlaxon, type Klaxon } from '../../src/runtime';
import { TEST_RUNBOOKS } from './runbooks';
import { testAuditKeyMaterial } from './audit';
export { testAudit, testAuditKeyMaterial } from './audit';
import { forwardTemporalMetrics, temporalTelemetry } from '../../src/temporal/telemetry';

let runtimeInstalled = false;
/**
 * Quiet Temporal's core logs; must run before the first worker or test environment is created.
 * With `temporalMetricsAddress` the SDK's worker metrics are served there and appended to /metrics.
 */
export function installRuntime(opts: { temporalMetricsAddress?: string } = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const address = opts.temporalMetricsAddress;
  Runtime.install({ logger: new DefaultLogger('WARN'), ...(address ? { telemetryOptions: temporalTelemetry(address) } : {}) });
  if (address) forwardTemporalMetrics(address);
}

/** Config text with `${VAR}` references resolved from `env` (tests keep secrets out of files too). */
export function testConfig(yaml: string, env: Record<string, string>) {
  const r = parseConfig(yaml, env);
  if (!r.ok) throw new Error('test config invalid: ' + JSON.stringify(r.problems));
  return r.config;
}

/**
 * The real product against the run's shared Temporal dev server and the real Postgres
 * (DATABASE_URL) or a fresh PGlite, with its own task queue so test files don't steal each
 * other's tasks.
 */
export async function startTestKlaxon(yaml: string, secrets: Record<string, string>, overrides: Record<string, string> = {}, opts: { worker?: boolean; http?: boolean } = {}): Promise<Klaxon> {
  installRuntime();
  const address = process.env.KLAXON_TEST_TEMPORAL_ADDRESS;
  const bundle = process.env.KLAXON_TEST_BUNDLE;
  if (!address || !bundle) throw new Error('run through jest: globalSetup starts Temporal and bundles the workflows');
  const env = envSchema.parse({
    PORT: '0',
    HOST: '127.0.0.1',
    TEMPORAL_ADDRESS: address,
    KLAXON_TASK_QUEUE: `test-${randomUUID()}`,
    KLAXON_DATA_DIR: mkdtempSync(join(tmpdir(), 'klaxon-test-')),
    DATABASE_URL: process.env.DATABASE_URL,
    // The folders globalSetup bundled: the shipped examples and the test runbooks.
    KLAXON_RUNBOOKS: TEST_RUNBOOKS,
    // The run's keyring (globalSetup); `KLAXON_ENCRYPTION_KEYS: ''` tests the keyring a start creates.
    KLAXON_ENCRYPTION_KEYS: process.env.KLAXON_TEST_ENCRYPTION_KEYS,
    KLAXON_AUDIT_KEY: testAuditKeyMaterial(),
    ...overrides,
  });
  return startKlaxon({
    env,
    config: testConfig(yaml, secrets),
    workflowBundle: { codePath: bundle },
    log: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'warn' }),
    worker: opts.worker,
    http: opts.http,
  });
}

/** Polls until `fn` returns a value other than undefined/false, or fails after `ms`. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, ms = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A unique tenant name per test, so tests sharing one Postgres never see each other's rows. */
export function uniqueTenant(prefix = 't'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * One tenant's YAML: webhook token `${HOOK}`, API token `${API}`, then `rest` (receivers, policies,
 * routes…) indented as it stands under the tenant.
 */
export function tenantYaml(tenant: string, rest: string): string {
  return `tenants:\n  ${tenant}:\n    webhook: { token: "\${HOOK}" }\n    api: { token: "\${API}" }\n${rest.replace(/^\n/, '')}`;
}

/** A tenant with one receiver `ops` (`${URL}`) and a default policy `p` of `steps`. */
export function opsTenantYaml(tenant: string, steps = '[{ notify: { receivers: [ops] } }]'): string {
  return tenantYaml(tenant, `    receivers:\n      ops: { type: webhook, url: "\${URL}" }\n    escalationPolicies:\n      p: { steps: ${steps} }\n    defaultPolicy: p\n`);
}

type OneAlert = { groupKey: string; labels: Record<string, string>; fingerprint: string; status?: 'firing' | 'resolved' };

/** An Alertmanager webhook body (version 4) for a group of one alert. */
export function alertPayload(alert: OneAlert) {
  const status = alert.status ?? 'firing';
  return {
    version: '4',
    groupKey: alert.groupKey,
    status,
    receiver: 'klaxon',
    commonLabels: alert.labels,
    alerts: [{ status, labels: alert.labels, startsAt: new Date().toISOString(), fingerprint: alert.fingerprint }],
  };
}

/** POSTs it to the tenant's webhook (bearer `hook`); answers the ingest result, or throws on anything but 202. */
export async function postAlert(baseUrl: string, tenant: string, alert: OneAlert): Promise<{ incidentId: string; outcome: string }> {
  const res = await fetch(`${baseUrl}/webhook/${tenant}`, {
    method: 'POST',
    headers: { authorization: 'Bearer hook', 'content-type': 'application/json' },
    body: JSON.stringify(alertPayload(alert)),
  });
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { incidents: Array<{ incidentId: string; outcome: string }> }).incidents[0];
}
