import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from './searchAttributes';
import { requireTemporalBinary } from './binaries';
import type { Logger } from '../logger';

export interface DevServerOptions {
  dataDir?: string;
  /** gRPC port; 0 picks a free one (tests). */
  port?: number;
  /** Web UI port; undefined disables the UI (headless). */
  uiPort?: number;
  /** Where the Web UI decodes encrypted payloads (Klaxon's codec server); never logged, it holds the UI's secret. */
  uiCodecEndpoint?: string;
  namespace?: string;
  /** Register Klaxon's search attributes at start (default); off to test registering them later. */
  searchAttributes?: boolean;
  log?: Logger;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

/** In the data dir while a Klaxon runs a dev server there: `{ klaxon, watchdog }` process ids. */
export const PID_FILE = 'temporal.pid';

/**
 * sh -c script: runs the server ($0 $@) in the background, ends it when stdin reaches EOF (the
 * parent died) or on SIGTERM/SIGINT, and waits until it has really exited.
 */
const WATCHDOG = [
  // Background jobs of a non-interactive sh read /dev/null unless told otherwise: keep stdin as fd 3.
  'exec 3<&0',
  '"$0" "$@" </dev/null 3<&- & pid=$!',
  '[ -n "$KLAXON_SERVER_PID_FILE" ] && echo "$pid" > "$KLAXON_SERVER_PID_FILE"',
  '{ cat <&3 >/dev/null; kill -TERM "$pid" 2>/dev/null; sleep 10; kill -KILL "$pid" 2>/dev/null; } & watcher=$!',
  "trap 'kill -TERM \"$pid\" 2>/dev/null' TERM INT",
  'code=0; while kill -0 "$pid" 2>/dev/null; do wait "$pid"; c=$?; [ $c -lt 128 ] && code=$c; done',
  'kill "$watcher" 2>/dev/null; exit $code',
].join('\n');

/** By command line, so a pid the system has since reused for something else is never signalled. */
function isDevServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start-dev');
  } catch {
    return false;
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A pid file left by an earlier Klaxon on this data dir: if that Klaxon still runs, the data dir is
 * in use (refuse); if it died, end its server (the watchdog should have) before opening the same
 * SQLite file.
 */
async function endStaleServer(pidFile: string, log?: Logger): Promise<void> {
  let owner: { klaxon?: number; watchdog?: number };
  try {
    owner = JSON.parse(readFileSync(pidFile, 'utf8'));
  } catch {
    return;
  }
  if (owner.klaxon !== process.pid && alive(owner.klaxon)) {
    throw new Error(`the data dir is in use by another Klaxon (pid ${owner.klaxon}); stop it or use another KLAXON_DATA_DIR`);
  }
  // The server itself too, in case its watchdog was killed with the Klaxon.
  let server: number | undefined;
  try {
    server = Number(readFileSync(`${pidFile}.server`, 'utf8').trim()) || undefined;
  } catch {
    server = undefined;
  }
  for (const pid of [owner.watchdog, server]) {
    if (!alive(pid) || !isDevServer(pid!)) continue;
    log?.warn({ pid }, 'ending the Temporal dev server a crashed Klaxon left running');
    process.kill(pid!, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid!, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
  rmSync(`${pidFile}.server`, { force: true });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Runs `temporal server start-dev` as a child process: SQLite persistence in dataDir (so incidents
 * survive a restart), Klaxon's search attributes registered at start, Web UI on uiPort.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const bin = requireTemporalBinary('temporal');
  const port = opts.port || (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  args.push('--namespace', opts.namespace ?? 'default');
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    args.push('--db-filename', join(opts.dataDir, 'temporal.sqlite'));
    // WAL: readers stop blocking the writer; the default rollback journal halves throughput (BENCHMARKS.md).
    args.push('--sqlite-pragma', 'journal_mode=wal');
  }
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort), '--ui-ip', '127.0.0.1');
  if (opts.uiPort && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  else args.push('--headless');
  // The metrics endpoint defaults to a fixed port; a random one keeps parallel servers apart.
  args.push('--metrics-port', String(await freePort()));
  if (opts.searchAttributes !== false) for (const key of ALL_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);

  const pidFile = opts.dataDir ? join(opts.dataDir, PID_FILE) : undefined;
  if (pidFile) await endStaleServer(pidFile, opts.log);
  // Through a watchdog: our end of its stdin closes when this process dies in any way (kill -9
  // included), and the watchdog then ends the server, so none is left holding the data dir.
  const child: ChildProcess = spawn('/bin/sh', ['-c', WATCHDOG, bin, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, KLAXON_SERVER_PID_FILE: pidFile ? `${pidFile}.server` : '' },
  });
  if (pidFile) writeFileSync(pidFile, JSON.stringify({ klaxon: process.pid, watchdog: child.pid }) + '\n');
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 200))]);
    if (early !== 'running') throw new Error(`temporal dev server exited with code ${early}: ${output.trim()}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not become ready on ${address}: ${(err as Error).message}\n${output}`);
      }
    }
  }
  opts.log?.info({ address, ui: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : 'off', dataDir: opts.dataDir }, 'temporal dev server started');
  return {
    address,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      if (pidFile) for (const f of [pidFile, `${pidFile}.server`]) rmSync(f, { force: true });
    },
  };
}
