import { spawn } from 'node:child_process';

/**
 * A server binary the tests run for real (Alertmanager, Prometheus): started, then polled at its
 * readiness URL until it answers 2xx; the tail of its stderr says why when it never does.
 */
export async function startDaemon(name: string, bin: string, args: string[], readyUrl: string, timeoutMs = 20_000, env?: NodeJS.ProcessEnv) {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let log = '';
  child.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(readyUrl)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
