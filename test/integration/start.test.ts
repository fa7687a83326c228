import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, cpSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/temporal/devServer';
import { projectRoot } from '../../src/paths';
import { eventually } from '../support/klaxon';

const firing = readFileSync(join(__dirname, '..', 'fixtures', 'alertmanager', 'firing-group.json'), 'utf8');

/**
 * `klaxon start` as a user runs it: a real child process on embedded defaults (its own Temporal dev
 * server with SQLite, PGlite, the demo tenant), then SIGTERM.
 */
describe('klaxon start on embedded defaults', () => {
  let child: ChildProcess | undefined;
  let output = '';
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  /** A data dir with the run's workflow bundle (so a start measures start-up, not webpack) and the env for `klaxon start` in it. */
  async function embeddedEnv(dataDir = mkdtempSync(join(tmpdir(), 'klaxon-start-'))) {
    mkdirSync(join(dataDir, 'cache'), { recursive: true });
    const bundle = process.env.KLAXON_TEST_BUNDLE!;
    cpSync(bundle, join(dataDir, 'cache', bundle.split('/').pop()!));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      KLAXON_DATA_DIR: dataDir,
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: '0',
      KLAXON_CONFIG: '',
      LOG_LEVEL: 'info',
    };
    delete env.DATABASE_URL;
    delete env.TEMPORAL_ADDRESS;
    delete env.KLAXON_CONFIG;
    delete env.NODE_OPTIONS;
    return { dataDir, port, env };
  }

  test('serves the webhook with the demo tenant, persists the incident, and exits 0 on SIGTERM', async () => {
    const { dataDir, port, env } = await embeddedEnv();
    child = spawn(process.execPath, [join(projectRoot, 'bin', 'klaxon.js'), 'start'], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const base = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 90_000, `readiness; output:\n${output}`);
    // Logged once the start returns, which is after the HTTP server answers (heartbeats sync in between).
    await eventually(async () => output.includes('demo tenant'), 10_000, `the demo tenant notice; output:\n${output}`);

    const tokens = Object.fromEntries(
      readFileSync(join(dataDir, 'demo.env'), 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string]),
    );
    // The generated tokens are never written to the log.
    expect(output).not.toContain(tokens.KLAXON_DEMO_WEBHOOK_TOKEN);
    // Encryption is on without any setup: a keyring in the data dir (0600), said once, its key never logged.
    const keysFile = join(dataDir, 'encryption.keys');
    expect(statSync(keysFile).mode & 0o777).toBe(0o600);
    expect(output.split('created an encryption key').length - 1).toBe(1);
    const key = readFileSync(keysFile, 'utf8').split('\n').find((l) => l && !l.startsWith('#'))!.split(':')[1];
    expect(output).not.toContain(key);

    const res = await fetch(`${base}/webhook/demo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.KLAXON_DEMO_WEBHOOK_TOKEN}`, 'content-type': 'application/json' },
      body: firing,
    });
    expect(res.status).toBe(202);
    const { incidents } = (await res.json()) as { incidents: Array<{ incidentId: string }> };
    const id = incidents[0].incidentId;
    const detail = await eventually(async () => {
      const r = await fetch(`${base}/api/v1/incidents/${id}`, { headers: { authorization: `Bearer ${tokens.KLAXON_DEMO_API_TOKEN}` } });
      const body = r.status === 200 ? ((await r.json()) as { incident: { status: string }; timeline: Array<{ kind: string }> }) : undefined;
      // The row exists from the webhook's answer; the timeline once the worker has run the incident.
      return body && body.timeline.length > 0 ? body : undefined;
    }, 20_000, 'the incident in the audit store');
    expect(detail.incident.status).toBe('firing');
    expect(detail.timeline.map((e) => e.kind)).toContain('opened');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('shutting down');
  }, 120_000);

  test('kill -9 of klaxon start leaves no Temporal server behind, and the next start on the same data dir carries on', async () => {
    const { dataDir, port, env } = await embeddedEnv();
    const start = () => {
      const c = spawn(process.execPath, [join(projectRoot, 'bin', 'klaxon.js'), 'start'], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout!.on('data', (b: Buffer) => (output += b.toString()));
      c.stderr!.on('data', (b: Buffer) => (output += b.toString()));
      return { c, exited: new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code))) };
    };
    const base = `http://127.0.0.1:${port}`;
    let run = start();
    child = run.c;
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 90_000, `readiness; output:\n${output}`);
    const server = Number(readFileSync(join(dataDir, 'temporal', 'temporal.pid.server'), 'utf8'));
    expect(readFileSync(`/proc/${server}/cmdline`, 'utf8')).toContain('start-dev');
    const tokens = Object.fromEntries(readFileSync(join(dataDir, 'demo.env'), 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string]));
    const res = await fetch(`${base}/webhook/demo`, { method: 'POST', headers: { authorization: `Bearer ${tokens.KLAXON_DEMO_WEBHOOK_TOKEN}`, 'content-type': 'application/json' }, body: firing });
    const id = ((await res.json()) as { incidents: Array<{ incidentId: string }> }).incidents[0].incidentId;

    run.c.kill('SIGKILL');
    await run.exited;
    // The watchdog ends the server when its parent is gone: no orphan keeps the port or the SQLite file.
    await eventually(async () => {
      try {
        process.kill(server, 0);
        return false;
      } catch {
        return true;
      }
    }, 20_000, 'the orphaned Temporal server to exit');

    run = start();
    child = run.c;
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 90_000, `readiness after the crash; output:\n${output}`);
    // The incident opened before the crash is still there and still running.
    const state = await eventually(async () => {
      const r = await fetch(`${base}/api/v1/incidents/${id}/state`, { headers: { authorization: `Bearer ${tokens.KLAXON_DEMO_API_TOKEN}` } });
      return r.status === 200 ? ((await r.json()) as { state: { status: string } }).state : undefined;
    }, 30_000, 'the incident after the restart');
    expect(state.status).toBe('firing');
    run.c.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 240_000);
});
