import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { LoadReply, LoadRequest } from './loadProcess';

export type { LoadReply };

/** Runs a closed-loop POST load from a child process (bench/support/loadProcess.ts) and answers its result. */
export function runRemoteLoad(req: LoadRequest): Promise<LoadReply & { pid: number }> {
  const child = fork(join(__dirname, 'loadProcess.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: LoadReply) => resolve({ ...m, pid: child.pid! }));
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code} before answering`)));
    child.send(req);
  });
}
