import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { eventually, postAlert, startTestKlaxon, tenantYaml, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import type { Klaxon } from '../../src/runtime';
import { projectRoot } from '../../src/paths';

/**
 * A runbook run survives its worker (issue #9): the worker is killed (SIGKILL) in the middle of a
 * run, right after the run noted its first call; a new worker finishes the run without repeating
 * the call that was done.
 */
describe('a runbook whose worker is killed mid-run', () => {
  const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const tenant = uniqueTenant('rbkill');
  const taskQueue = `test-${randomUUID()}`;
  let http: Klaxon;
  let worker: Klaxon | undefined;
  let child: ChildProcess | undefined;
  let probe: Awaited<ReturnType<typeof startReceiver>>;
  let ops: Awaited<ReturnType<typeof startReceiver>>;
  const yaml = () =>
    tenantYaml(
      tenant,
      `    receivers:
      ops: { type: webhook, url: "\${URL}" }
    escalationPolicies:
      p: { steps: [{ notify: { receivers: [ops] } }, { wait: 1h }] }
    defaultPolicy: p
    runbooks: { http: { allowHosts: ["127.0.0.1"] } }
`,
    );
  const secrets = () => ({ HOOK: 'hook', API: 'api', URL: ops.url });

  beforeAll(async () => {
    [probe, ops] = await Promise.all([startReceiver(), startReceiver()]);
    http = await startTestKlaxon(yaml(), secrets(), { KLAXON_TASK_QUEUE: taskQueue, DATABASE_URL }, { worker: false });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await worker?.stop();
    await http?.stop();
    await Promise.all([probe?.close(), ops?.close()]);
  });

  test('a new worker finishes the run; the call made before the kill is not made again', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'test', 'support', 'crashingWorker.ts')], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL, CRASH_AFTER_RUNBOOK_KIND: 'runbook.note', CRASH_CONFIG: JSON.stringify({ yaml: yaml(), secrets: secrets(), taskQueue }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)));
    await eventually(async () => child!.stdout!.read()?.toString().includes('worker running'), 60_000, 'the crashing worker');

    const { incidentId: id } = await postAlert(http.url, tenant, { groupKey: '{}:{rbkill}', labels: { alertname: 'RunbookProbe', service: 'kill', probe: probe.url }, fingerprint: 'k1' });
    expect(await exited).toBe('SIGKILL');
    const calls = () => probe.received.map((r) => JSON.parse(r.body)).filter((b) => b.incident === id);
    expect(calls().map((c) => c.call)).toEqual([1]);

    worker = await startTestKlaxon(yaml(), secrets(), { KLAXON_TASK_QUEUE: taskQueue, DATABASE_URL }, { http: false });
    const res = await eventually(async () => {
      const r = await fetch(`${http.url}/api/v1/incidents/${id}/runbooks`, { headers: { authorization: 'Bearer api' } });
      const body = (await r.json()) as { runs: Array<{ outcome: string | null }> };
      return body.runs[0]?.outcome ? body.runs : undefined;
    }, 60_000, 'the run to finish');
    expect(res[0].outcome).toBe('succeeded');
    expect(calls().map((c) => c.call)).toEqual([1, 2]);
    const timeline = ((await (await fetch(`${http.url}/api/v1/incidents/${id}`, { headers: { authorization: 'Bearer api' } })).json()) as { timeline: Array<{ kind: string; details: Record<string, unknown> }> }).timeline;
    // Each of the run's rows once: the rows the killed worker wrote are the same rows, not new ones.
    const steps = timeline.filter((e) => e.kind === 'runbook.step').map((e) => e.details.step);
    expect(steps).toEqual(['http', 'notify', 'sleep', 'http']);
    expect(timeline.filter((e) => e.kind === 'runbook.note')).toHaveLength(1);
  }, 120_000);
});
