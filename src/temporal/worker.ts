import { setFlagsFromString, getHeapStatistics } from 'node:v8';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { workflowHeapMibFor } from './workerMemory';
import type { DataConverter } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../../activities';
import { HEARTBEAT_EVERY_MS } from '../delivery/policy';
import { connectNative, type TemporalSecurity } from './connectionOptions';

/** Heartbeats reach the server this often, so an ack's cancellation reaches an in-flight send within about a second. */
export const HEARTBEAT_THROTTLE = { maxHeartbeatThrottleInterval: HEARTBEAT_EVERY_MS, defaultHeartbeatThrottleInterval: HEARTBEAT_EVERY_MS };

export const DEFAULT_TASK_QUEUE = 'klaxon';

export interface WorkerOptions {
  address: string;
  /** TLS, client certificate, API key (src/temporal/connectionOptions.ts): the same as the client's. */
  security: TemporalSecurity;
  namespace: string;
  taskQueue: string;
  workflowBundle: { codePath: string };
  /** Payload encryption (src/temporal/encryption.ts): the same as the client's. */
  dataConverter: DataConverter;
  deps: ActivityDeps;
  /** Workflows kept in the sticky cache (workerMemory.ts sizes it from KLAXON_WORKER_MEMORY). */
  maxCachedWorkflows: number;
}

/** The Klaxon worker: incident workflows plus the activities that do their side effects. */
export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await connectNative(opts.address, opts.security);
  // The SDK runs workflows in a worker thread it creates in Worker.create; V8 reads the heap limit
  // when an isolate is made, so the flag set here sizes that thread alone and is put back after.
  const before = Math.round(getHeapStatistics().heap_size_limit / 1024 ** 2);
  setFlagsFromString(`--max-old-space-size=${workflowHeapMibFor(opts.maxCachedWorkflows)}`);
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: opts.workflowBundle,
    dataConverter: opts.dataConverter,
    activities: createActivities(opts.deps),
    // A cached workflow answers a timer or signal without replaying its history; the cache is
    // bounded by the memory budget, evicted incidents replay when they next wake.
    maxCachedWorkflows: opts.maxCachedWorkflows,
    ...HEARTBEAT_THROTTLE,
  }).finally(() => setFlagsFromString(`--max-old-space-size=${before}`));
  return { worker, connection };
}
