import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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
  else args.push('--headless');
  // The metrics endpoint defaults to a fixed port; a random one keeps parallel servers apart.
  args.push('--metrics-port', String(await freePort()));
  if (opts.searchAttributes !== false) for (const key of ALL_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);

  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
