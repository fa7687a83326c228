/**
 * The chaos topology as separate processes, each in its own process group so a kill -9 takes the
 * whole of it: an external `temporal server start-dev` (SQLite file, so its state survives the
 * kill), one `klaxon start --role http`, one `klaxon start --role worker`. Every process restarts on
 * the same ports and files. A Klaxon process that exits on its own is restarted too (a supervisor's
 * job) and counted, so the report shows it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from '../../src/temporal/devServer';
import { requireTemporalBinary } from '../../src/temporal/binaries';
import { registerSearchAttributes } from '../../src/temporal/registerSearchAttributes';
import { prebuiltWorkflowBundle } from '../../src/temporal/bundle';
import { projectRoot } from '../../src/paths';

export type Role = 'temporal' | 'http' | 'worker';

/** One long-lived role: how to start it and how to tell it is ready. */
interface Member {
  role: Role;
  child?: ChildProcess;
  /** Exits nobody asked for (crash of its own): restarted at once, reported. */
  unexpectedExits: number;
  /** True while chaos has it down on purpose (killed, or stopped with SIGSTOP). */
  held: boolean;
}

export interface ClusterOptions {
  dir: string;
  /** The tenants YAML and the secrets it references (`${VAR}`), passed as environment. */
  configFile: string;
  secrets: Record<string, string>;
  databaseUrl: string;
  log: (line: string) => void;
}

export class Cluster {
  readonly temporalPort: Promise<number>;
  readonly httpPort: Promise<number>;
  private readonly members: Record<Role, Member> = {
    temporal: { role: 'temporal', unexpectedExits: 0, held: false },
    http: { role: 'http', unexpectedExits: 0, held: false },
    worker: { role: 'worker', unexpectedExits: 0, held: false },
  };
  private closing = false;

  constructor(private readonly opts: ClusterOptions) {
    this.temporalPort = freePort();
    this.httpPort = freePort();
    mkdirSync(join(opts.dir, 'logs'), { recursive: true });
  }

  get temporalAddress(): Promise<string> {
    return this.temporalPort.then((p) => `127.0.0.1:${p}`);
  }

  async baseUrl(): Promise<string> {
    return `http://127.0.0.1:${await this.httpPort}`;
  }

  /** Temporal first (search attributes registered once, by Klaxon's own code), then worker and HTTP. */
  async start(): Promise<void> {
    await this.startRole('temporal');
    const connection = await Connection.connect({ address: await this.temporalAddress });
    await registerSearchAttributes(connection, 'default');
    await connection.close();
    // Built once here, so neither a worker start nor a restart pays for webpack.
    await prebuiltWorkflowBundle(join(this.opts.dir, 'klaxon', 'cache'));
    await Promise.all([this.startRole('worker'), this.startRole('http')]);
  }

  /** kill -9 of the role's process group; it is restarted after `pauseMs`. Resolves once it is ready again. */
  async kill(role: Role, pauseMs: number): Promise<void> {
    const m = this.members[role];
    m.held = true;
    await this.signal(m, 'SIGKILL');
    await sleep(pauseMs);
    await this.startRole(role);
    m.held = false;
  }

  /** SIGSTOP for `ms` (the process is frozen: it holds its leases and connections but does nothing), then SIGCONT. */
  async freeze(role: Role, ms: number): Promise<void> {
    const m = this.members[role];
    m.held = true;
    process.kill(-m.child!.pid!, 'SIGSTOP');
    await sleep(ms);
    process.kill(-m.child!.pid!, 'SIGCONT');
    m.held = false;
  }

  unexpectedExits(): Record<Role, number> {
    return { temporal: this.members.temporal.unexpectedExits, http: this.members.http.unexpectedExits, worker: this.members.worker.unexpectedExits };
  }

  async stop(): Promise<void> {
    this.closing = true;
    for (const role of ['http', 'worker', 'temporal'] as const) {
      const m = this.members[role];
      if (!m.child || m.child.exitCode !== null || m.child.signalCode !== null) continue;
      process.kill(-m.child.pid!, 'SIGCONT');
      await this.signal(m, 'SIGTERM', 20_000);
    }
  }

  private async signal(m: Member, sig: NodeJS.Signals, escalateAfterMs?: number): Promise<void> {
    const child = m.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid!, sig);
    } catch {
      return;
    }
    const timer = escalateAfterMs ? setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), escalateAfterMs) : undefined;
    await exited;
    if (timer) clearTimeout(timer);
  }

  private async startRole(role: Role): Promise<void> {
    const m = this.members[role];
    const out = openSync(join(this.opts.dir, 'logs', `${role}.log`), 'a');
    const [cmd, args, env] = role === 'temporal' ? await this.temporalCommand() : await this.klaxonCommand(role);
    const child = spawn(cmd, args, { cwd: this.opts.dir, env, detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    m.child = child;
    child.once('exit', (code, signal) => {
      if (this.closing || m.held || m.child !== child) return;
      m.unexpectedExits++;
      this.opts.log(`${role} exited on its own (code ${code}, signal ${signal}); restarting it`);
      void this.startRole(role);
    });
    await this.ready(role, child);
  }

  private async temporalCommand(): Promise<[string, string[], NodeJS.ProcessEnv]> {
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(await this.temporalPort), '--headless', '--log-level', 'warn'];
    args.push('--db-filename', join(this.opts.dir, 'temporal.sqlite'), '--sqlite-pragma', 'journal_mode=wal', '--metrics-port', String(await freePort()));
    return [requireTemporalBinary('temporal'), args, process.env];
  }

  private async klaxonCommand(role: 'http' | 'worker'): Promise<[string, string[], NodeJS.ProcessEnv]> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.opts.secrets,
      PORT: String(role === 'http' ? await this.httpPort : 0),
      HOST: '127.0.0.1',
      TEMPORAL_ADDRESS: await this.temporalAddress,
      DATABASE_URL: this.opts.databaseUrl,
      KLAXON_CONFIG: this.opts.configFile,
      KLAXON_DATA_DIR: join(this.opts.dir, 'klaxon'),
      KLAXON_TASK_QUEUE: 'chaos',
      LOG_LEVEL: 'info',
    };
    delete env.NODE_OPTIONS;
    return [process.execPath, [join(projectRoot, 'bin', 'klaxon.js'), 'start', '--role', role], env];
  }

  /** Temporal: answers getSystemInfo. HTTP: /healthz. Worker: its log says "worker running" after this start. */
  private async ready(role: Role, child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 90_000;
    const logFile = join(this.opts.dir, 'logs', `${role}.log`);
    const logStart = role === 'worker' ? fileSize(logFile) : 0;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${role} exited while starting; see ${logFile}`);
      if (await this.isReady(role, logFile, logStart)) return;
      if (Date.now() > deadline) throw new Error(`${role} not ready after 90 s; see ${logFile}`);
      await sleep(200);
    }
  }

  private async isReady(role: Role, logFile: string, logStart: number): Promise<boolean> {
    try {
      if (role === 'temporal') {
        const conn = await Connection.connect({ address: await this.temporalAddress, connectTimeout: 1000 });
        try {
          await conn.workflowService.getSystemInfo({});
        } finally {
          await conn.close();
        }
        return true;
      }
      if (role === 'http') return (await fetch(`${await this.baseUrl()}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
      return readFrom(logFile, logStart).includes('"worker running"');
    } catch {
      return false;
    }
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, offset: number): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, fstatSync(fd).size - offset));
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
