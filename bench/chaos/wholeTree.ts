/**
 * kill -9 of the whole `klaxon start` tree (role all: the Klaxon process, the watchdog and the
 * embedded Temporal dev server; PGlite lives in the Klaxon process) while an incident waits between
 * two policy steps, then a restart on the same data dir. Passes when nothing of the tree survives
 * the kill (no orphaned Temporal server holding the port or the SQLite file) and the incident's
 * second page arrives after the restart, with the first page not sent again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from '../../src/temporal/devServer';
import { projectRoot } from '../../src/paths';
import { eventually, opsTenantYaml, postAlert } from '../../test/support/klaxon';
import { wallNow } from '../support/stats';
import type { Arrivals } from './arrivals';

export interface TreeResult {
  ok: boolean;
  summary: string;
}

const STEP_WAIT_S = 10;

export async function killWholeTree(dir: string, bundle: string, receiverUrl: string, arrivals: Arrivals, log: (s: string) => void): Promise<TreeResult> {
  const dataDir = join(dir, 'tree');
  mkdirSync(join(dataDir, 'cache'), { recursive: true });
  cpSync(bundle, join(dataDir, 'cache', basename(bundle)));
  const configFile = join(dataDir, 'tenants.yaml');
  writeFileSync(configFile, opsTenantYaml('tree', `[{ notify: { receivers: [ops] } }, { wait: ${STEP_WAIT_S}s }, { notify: { receivers: [ops] } }]`));
  const [port, temporalPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOOK: 'hook',
    API: 'api',
    URL: receiverUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    KLAXON_DATA_DIR: dataDir,
    KLAXON_CONFIG: configFile,
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: '0',
    LOG_LEVEL: 'info',
  };
  for (const k of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'NODE_OPTIONS']) delete env[k];
  const base = `http://127.0.0.1:${port}`;
  const start = async (): Promise<ChildProcess> => {
    const out = openSync(join(dir, 'logs', 'tree.log'), 'a');
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'klaxon.js'), 'start'], { cwd: dataDir, env, detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    await eventually(async () => (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200, 90_000, 'klaxon start to be ready');
    return child;
  };

  let child = await start();
  const { incidentId: id } = await postAlert(base, 'tree', { groupKey: '{}:{chaos="tree"}', labels: { alertname: 'TreeKill', service: 'tree', severity: 'critical' }, fingerprint: 'tree1' });
  const first = await arrivals.waitFirstPage(id, Date.now() + 30_000);
  if (!first) return { ok: false, summary: `❌ the incident's first page never arrived (${id})` };

  const tree = processGroup(child.pid!);
  const server = Number(readFileSync(join(dataDir, 'temporal', 'temporal.pid.server'), 'utf8'));
  log(`whole tree: kill -9 of process group ${child.pid} (${tree.length} processes, Temporal server ${server})`);
  process.kill(-child.pid!, 'SIGKILL');
  const killedAt = wallNow();
  const gone = await eventually(async () => tree.every((p) => !alive(p)) && !(await listening(temporalPort)), 20_000, 'the tree to be gone').then(
    () => true,
    () => false,
  );
  const survivors = tree.filter(alive);
  if (!gone) return { ok: false, summary: `❌ after kill -9 still running: ${survivors.join(', ') || `something on the Temporal port ${temporalPort}`}` };

  child = await start();
  const restartedIn = wallNow() - killedAt;
  const second = await eventually(async () => arrivals.of(id).find((a) => a.idempotencyKey === `${id}/2/ops`), 60_000, 'the second page').catch(() => undefined);
  const firstPages = arrivals.of(id).filter((a) => a.idempotencyKey === `${id}/1/ops`).length;
  await stopTree(child);
  const ok = !!second && firstPages === 1;
  const summary =
    `${ok ? '✅' : '❌'} ${tree.length} processes gone after the kill, Temporal port closed, no orphan; ready again after ${(restartedIn / 1000).toFixed(1)} s; ` +
    (second ? `step 2 page (due ${STEP_WAIT_S} s after the first) arrived ${((second.at - first.at) / 1000).toFixed(1)} s after the first` : 'step 2 page never arrived') +
    `; first page delivered ${firstPages}×`;
  return { ok, summary };
}

/** Every process whose process group is `pgid` (from /proc). */
function processGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // Fields after the command name: state ppid pgrp …
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(d));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function stopTree(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(-child.pid!, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
