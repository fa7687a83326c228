import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Arrival, ReceiverReply, ReceiverRequest } from './receiverProcess';

export type { Arrival };

export interface BenchReceiver {
  url: string;
  pid: number;
  /** Arrivals so far (without taking them). */
  count(): Promise<number>;
  /** Every arrival since the last take. */
  take(): Promise<Arrival[]>;
  /** Resolves once `n` arrivals are held, or after `timeoutMs` with however many there are. */
  waitFor(n: number, timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Starts the webhook receiver in a child process (it inherits tsx from the parent's execArgv), so
 * its HTTP parsing and timestamps do not share an event loop with the Klaxon under test.
 */
export async function startBenchReceiver(): Promise<BenchReceiver> {
  const child: ChildProcess = fork(join(__dirname, 'receiverProcess.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters: Array<(m: ReceiverReply) => boolean> = [];
  child.on('message', (m: ReceiverReply) => {
    const i = waiters.findIndex((w) => w(m));
    if (i >= 0) waiters.splice(i, 1);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ask = <K extends ReceiverReply['cmd']>(req: ReceiverRequest | null, cmd: K, timeoutMs = 30_000) =>
    new Promise<Extract<ReceiverReply, { cmd: K }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench receiver did not answer ${cmd} within ${timeoutMs} ms`)), timeoutMs);
      waiters.push((m) => {
        if (m.cmd !== cmd) return false;
        clearTimeout(timer);
        resolve(m as Extract<ReceiverReply, { cmd: K }>);
        return true;
      });
      if (req) child.send(req);
    });

  const { port } = await ask(null, 'listening');
  const count = async () => (await ask({ cmd: 'count' }, 'count')).count;
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    count,
    take: async () => (await ask({ cmd: 'take' }, 'take')).arrivals,
    async waitFor(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const c = await count();
        if (c >= n || Date.now() > deadline) return c;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
