import type { Connection } from '@temporalio/client';
import type { Logger } from '../logger';

/**
 * Watches whether Temporal answers, and says so in the log when that changes (and once a minute
 * while it stays down): while Temporal is unreachable nothing pages, and the operator must hear of
 * it from Klaxon itself, not from a quiet pager. `/readyz` says the same to load balancers.
 */
export function watchTemporal(connection: Connection, log: Logger, everyMs = 5000): { stop(): void } {
  let downSince: number | undefined;
  let lastSaid = 0;
  let stopped = false;
  const check = async () => {
    try {
      // A connection without retry interceptors: one attempt, bounded by the deadline.
      await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
      if (downSince !== undefined) log.info({ downForS: Math.round((Date.now() - downSince) / 1000) }, 'Temporal reachable again');
      downSince = undefined;
    } catch (err) {
      const now = Date.now();
      if (downSince === undefined) {
        downSince = now;
        lastSaid = now;
        log.error({ err: (err as Error).message }, 'Temporal unreachable: no incident can start, page or be acted on until it is back');
      } else if (now - lastSaid >= 60_000) {
        lastSaid = now;
        log.error({ err: (err as Error).message, downForS: Math.round((now - downSince) / 1000) }, 'Temporal still unreachable');
      }
    }
  };
  const timer = setInterval(() => void (stopped ? undefined : check()), everyMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
