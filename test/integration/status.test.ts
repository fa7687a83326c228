import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from '../../src/temporal/devServer';
import { join } from 'node:path';
import type { Klaxon } from '../../src/runtime';
import { status } from '../../src/cli/commands/status';
import { openapiText } from '../../src/server/openapiDocument';
import { readFileSync } from 'node:fs';
import { eventually, postAlert, startTestKlaxon, tenantYaml, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';

const root = join(__dirname, '..', '..');

/** Runs `klaxon status` in-process against `url` with the tenant's API token; its exit code and what it printed. */
async function runStatus(url: string, args: string[] = []): Promise<{ code: number; out: string }> {
  const saved = { url: process.env.KLAXON_URL, token: process.env.KLAXON_TOKEN };
  process.env.KLAXON_URL = url;
  process.env.KLAXON_TOKEN = 'api';
  let out = '';
  try {
    const code = await status(args, (s) => (out += s));
    return { code, out };
  } finally {
    process.env.KLAXON_URL = saved.url;
    process.env.KLAXON_TOKEN = saved.token;
    if (saved.url === undefined) delete process.env.KLAXON_URL;
    if (saved.token === undefined) delete process.env.KLAXON_TOKEN;
  }
}

describe('klaxon status and the API docs of a running Klaxon', () => {
  let klaxon: Klaxon;
  let httpOnly: Klaxon | undefined;
  let ok: Awaited<ReturnType<typeof startReceiver>>;
  let broken: Awaited<ReturnType<typeof startReceiver>>;
  const tenant = uniqueTenant('st');
  const yaml = () =>
    tenantYaml(
      tenant,
      `    receivers:
      ops: { type: webhook, url: "\${OK}" }
      flaky: { type: webhook, url: "\${BROKEN}", circuitBreaker: { failures: 1, cooldown: 10m } }
    escalationPolicies:
      p: { steps: [{ notify: { receivers: [ops] } }] }
      down: { steps: [{ notify: { receivers: [flaky] } }] }
    routes:
      - { matchers: ['service="legacy"'], policy: down }
    defaultPolicy: p
`,
    );
  const secrets = () => ({ HOOK: 'hook', API: 'api', OK: `${ok.url}/ops`, BROKEN: `${broken.url}/hook` });

  beforeAll(async () => {
    ok = await startReceiver();
    broken = await startReceiver(() => ({ status: 500, body: 'down' }));
    klaxon = await startTestKlaxon(yaml(), secrets());
  });
  afterAll(async () => {
    await httpOnly?.stop();
    await klaxon?.stop();
    await ok?.close();
    await broken?.close();
  });

  test('all up: exit 0, the worker polls, open incidents by status and severity', async () => {
    await postAlert(klaxon.url, tenant, { groupKey: `g-${Date.now()}`, labels: { alertname: 'DiskFull', severity: 'critical' }, fingerprint: 'a' });
    await eventually(async () => ok.received.length >= 1, 20_000, 'the page');
    const r = await eventually(async () => {
      const s = await runStatus(klaxon.url);
      return s.code === 0 && /1 firing \(1 critical\)/.test(s.out) ? s : false;
    }, 20_000, 'status ok with the incident');
    expect(r.out).toMatch(/^temporal\s+ok/m);
    expect(r.out).toMatch(/^store\s+ok/m);
    expect(r.out).toMatch(/^workers\s+ok\s+\([1-9]\d* workflow, [1-9]\d* activity pollers/m);
    expect(r.out).toMatch(/ops \(webhook\) ok/);
  });

  test('a receiver whose circuit is open makes status exit 1 and says which', async () => {
    await postAlert(klaxon.url, tenant, { groupKey: `legacy-${Date.now()}`, labels: { alertname: 'Old', severity: 'critical', service: 'legacy' }, fingerprint: 'b' });
    const r = await eventually(async () => {
      const s = await runStatus(klaxon.url, ['--json']);
      return s.code === 1 ? s : false;
    }, 30_000, 'the open circuit');
    const json = JSON.parse(r.out) as { status: string; receivers: Array<{ receiver: string; state: string }> };
    expect(json.status).toBe('down');
    expect(json.receivers.find((x) => x.receiver === 'flaky')?.state).toBe('open');
  });

  test('without a worker on the task queue the status is down, named, and the real CLI exits 1', async () => {
    // An HTTP-only Klaxon on a task queue nobody polls.
    httpOnly = await startTestKlaxon(yaml(), secrets(), {}, { worker: false });
    const r = await runStatus(httpOnly.url);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^workers\s+DOWN\s+no worker polls task queue "test-/m);
    expect(r.out).toMatch(/^temporal\s+ok/m);
    // Asynchronously: the Klaxon it asks runs in this process.
    const cli = await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'src', 'cli', 'main.ts'), 'status'], {
      env: { ...process.env, KLAXON_URL: httpOnly.url, KLAXON_TOKEN: 'api' },
      timeout: 60_000,
    }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (err: { code?: number; stdout?: string }) => ({ code: err.code, stdout: err.stdout }),
    );
    expect(cli).toEqual({ code: 1, stdout: expect.stringMatching(/^status\s+DOWN$/m) });
  });

  test('a worker-only process serves its own metrics on METRICS_PORT', async () => {
    const port = await freePort();
    const worker = await startTestKlaxon(yaml(), secrets(), { METRICS_PORT: String(port) }, { http: false });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      // The breakers live where deliveries happen: every configured receiver of the tenant is listed.
      expect(await res.text()).toMatch(new RegExp(`klaxon_receiver_circuit_state\\{tenant="${tenant}",receiver="ops",receiver_type="webhook",state="closed"\\} 1`));
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      await worker.stop();
    }
  });

  test('Klaxon not answering: exit 1 and says so', async () => {
    const r = await runStatus(`http://127.0.0.1:${await freePort()}`);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/not reachable \(ECONNREFUSED\)/);
  });

  test('/docs serves the API reference and /docs/json is the checked-in openapi.json', async () => {
    const page = await fetch(`${klaxon.url}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/swagger/i);
    const served = await (await fetch(`${klaxon.url}/docs/json`)).json();
    expect(openapiText(served as Record<string, unknown>)).toBe(readFileSync(join(root, 'openapi.json'), 'utf8'));
  });
});
