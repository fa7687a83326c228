/**
 * The fault schedule: after a fault-free baseline, one fault every `spacingMs`, the kinds
 * interleaved so no process is hit twice in a row. Each fault is timed from the moment it was
 * injected until the process it hit was ready again; that interval decides which first pages
 * count as "with faults".
 */
import { wallNow } from '../support/stats';
import { sleep, type Cluster } from './cluster';

export type FaultKind = 'kill -9 worker' | 'kill -9 http' | 'kill -9 temporal' | 'stop worker';

export interface FaultPlan {
  baselineMs: number;
  spacingMs: number;
  killWorker: number;
  killHttp: number;
  killTemporal: number;
  /** SIGSTOP of the worker for this long (once). */
  stopWorkerMs: number;
  /** How long a killed process stays down before it is started again. */
  downMs: number;
}

export interface InjectedFault {
  kind: FaultKind;
  /** Wall-clock ms: injected, and ready again. */
  start: number;
  end: number;
}

/** The order: kinds spread out round-robin, the long worker stop in the middle. */
export function faultOrder(plan: FaultPlan): FaultKind[] {
  const pools: Array<[FaultKind, number]> = [
    ['kill -9 worker', plan.killWorker],
    ['kill -9 http', plan.killHttp],
    ['kill -9 temporal', plan.killTemporal],
  ];
  const order: FaultKind[] = [];
  while (pools.some(([, left]) => left > 0)) {
    for (const p of pools) {
      if (p[1] === 0) continue;
      order.push(p[0]);
      p[1]--;
    }
  }
  order.splice(Math.floor(order.length / 2), 0, 'stop worker');
  return order;
}

/** How long the schedule takes, so the load can be sized to outlast it. */
export function faultsDurationMs(plan: FaultPlan): number {
  return plan.baselineMs + faultOrder(plan).length * plan.spacingMs + plan.stopWorkerMs + plan.spacingMs / 2;
}

export async function injectFaults(cluster: Cluster, plan: FaultPlan, log: (s: string) => void): Promise<InjectedFault[]> {
  const done: InjectedFault[] = [];
  await sleep(plan.baselineMs);
  for (const kind of faultOrder(plan)) {
    const start = wallNow();
    log(`fault: ${kind}`);
    if (kind === 'stop worker') await cluster.freeze('worker', plan.stopWorkerMs);
    else await cluster.kill(kind === 'kill -9 worker' ? 'worker' : kind === 'kill -9 http' ? 'http' : 'temporal', plan.downMs);
    const end = wallNow();
    done.push({ kind, start, end });
    log(`fault: ${kind} over after ${((end - start) / 1000).toFixed(1)} s`);
    // A long fault (the stop) still leaves the system some fault-free time before the next one.
    await sleep(Math.max(0, Math.max(start + plan.spacingMs, end + plan.spacingMs / 2) - wallNow()));
  }
  return done;
}
