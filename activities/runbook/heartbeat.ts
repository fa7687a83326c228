import { Context } from '@temporalio/activity';

/**
 * Heartbeats for a step that waits on something outside (an HTTP answer, a command). Two reasons:
 * a cancellation (the incident resolved, someone cancelled the run) reaches an activity only in
 * the answer to a heartbeat, and a worker that died mid-step is noticed after the workflow's
 * `heartbeatTimeout` (30 s) instead of its `startToCloseTimeout`.
 */
export const HEARTBEAT_EVERY_MS = 1000;

export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  // A local activity has no heartbeats (its workflow task stands in for it).
  if (ctx.info.isLocal) return work();
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}
