import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
import { startKlaxon, type Klaxon } from '../../src/runtime';
import { envSchema } from '../../src/config/env';
import { eventually, installRuntime, opsTenantYaml, testConfig, uniqueTenant } from '../support/klaxon';

/**
 * Temporal going away under a running Klaxon (issue #8, scenario 16): its own dev server, so the
 * run's shared one is left alone. Klaxon must say so in its log and in /readyz.
 */
describe('with Temporal unreachable', () => {
  let server: DevServer;
  let klaxon: Klaxon;
  const lines: string[] = [];
  const tenant = uniqueTenant('tdown');

  beforeAll(async () => {
    installRuntime();
    server = await startDevServer({ namespace: 'default' });
    klaxon = await startKlaxon({
      env: envSchema.parse({
        PORT: '0',
        HOST: '127.0.0.1',
        TEMPORAL_ADDRESS: server.address,
        KLAXON_TASK_QUEUE: `tdown-${randomUUID()}`,
        KLAXON_DATA_DIR: mkdtempSync(join(tmpdir(), 'klaxon-tdown-')),
        DATABASE_URL: process.env.DATABASE_URL,
      }),
      config: testConfig(
        opsTenantYaml(tenant),
        { HOOK: 'hook', API: 'api', URL: 'http://127.0.0.1:9/unused' },
      ),
      log: pino({ level: 'info' }, { write: (s: string) => void lines.push(s) }),
      worker: false,
      temporalWatchMs: 300,
    });
  }, 60_000);
  afterAll(async () => {
    await klaxon?.stop();
    await server?.stop();
  });

  test('the log says Temporal is unreachable, and /readyz answers 503 naming it', async () => {
    expect((await fetch(`${klaxon.url}/readyz`)).status).toBe(200);
    await server.stop();
    await eventually(async () => lines.some((l) => l.includes('Temporal unreachable')), 15_000, 'the log line');
    const ready = await fetch(`${klaxon.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, string> };
    expect(body.checks.postgres).toBe('ok');
    expect(body.checks.temporal).not.toBe('ok');
  }, 60_000);
});
