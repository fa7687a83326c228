import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/paths';
import { freePort } from '../../src/temporal/devServer';
import { TEST_RUNBOOKS } from './runbooks';
import { testAuditKeyMaterial } from './audit';

export interface KlaxonProcess {
  role: 'http' | 'worker';
  child: ChildProcess;
  /** Temporal's default worker identity for this process (`pid@host`), as its history events carry it. */
  pid: number;
  /** The HTTP port (http role) or the metrics port (worker role). */
  port: number;
  url: string;
  output(): string;
  exited: Promise<NodeJS.Signals | number | null>;
}

/**
 * `klaxon start --role <role>` as an operator runs it on one host of many: its own process and data
 * dir, against the run's Temporal dev server and the shared Postgres, with the keys every process
 * of a deployment shares (encryption, audit). The run's workflow bundle is copied into its cache,
 * so a start measures start-up, not webpack.
 */
export async function spawnKlaxon(role: 'http' | 'worker', env: Record<string, string>): Promise<KlaxonProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), `klaxon-${role}-`));
  mkdirSync(join(dataDir, 'cache'), { recursive: true });
  const bundle = process.env.KLAXON_TEST_BUNDLE!;
  cpSync(bundle, join(dataDir, 'cache', bundle.split('/').pop()!));
  const port = await freePort();
  const full: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    TEMPORAL_ADDRESS: process.env.KLAXON_TEST_TEMPORAL_ADDRESS,
    KLAXON_DATA_DIR: dataDir,
    KLAXON_RUNBOOKS: TEST_RUNBOOKS,
    KLAXON_ENCRYPTION_KEYS: process.env.KLAXON_TEST_ENCRYPTION_KEYS,
    KLAXON_AUDIT_KEY: testAuditKeyMaterial(),
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    ...(role === 'http' ? { PORT: String(port) } : { METRICS_PORT: String(port) }),
    ...env,
  };
  delete full.NODE_OPTIONS;
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'klaxon.js'), 'start', '--role', role], { cwd: dataDir, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer) => (output = (output + b.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return { role, child, pid: child.pid!, port, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}
