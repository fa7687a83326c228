import { countOpenIncidents } from '../store/openIncidents';
import { taskQueuePollers, type Poller } from '../temporal/pollers';
import type { Services } from './services';
import { withTimeout } from '../timeout';

export interface Check {
  ok: boolean;
  error?: string;
}

export interface StackStatus {
  /** ok: everything answers and a worker polls; down: something the tenant's paging needs does not. */
  status: 'ok' | 'down';
  temporal: Check & { namespace: string };
  store: Check;
  workers: Check & { taskQueue: string; workflowPollers: Poller[]; activityPollers: Poller[] };
  /** The tenant's open incidents by status and severity (empty while the store does not answer). */
  incidents: Array<{ status: string; severity: string; count: number }>;
}

const TIMEOUT_MS = 3000;
const failed = (err: unknown): Check => ({ ok: false, error: (err as Error).message });

/**
 * What `klaxon status` shows: Temporal and the audit store answer, workers poll Klaxon's task
 * queue (Temporal's DescribeTaskQueue lists the pollers it saw in the last minutes), and the
 * tenant's open incidents. Each check has its own deadline, so one that hangs does not hide the others.
 */
export async function stackStatus(k: Services, tenant: string): Promise<StackStatus> {
  const namespace = k.temporal.options.namespace;
  const taskQueue = k.taskQueue ?? 'klaxon';
  const probe = k.temporalProbe ?? k.temporal.connection;
  const [temporal, store, workers] = await Promise.all([
    withTimeout(probe.workflowService.getSystemInfo({}), TIMEOUT_MS).then((): Check => ({ ok: true }), failed),
    withTimeout(countOpenIncidents(k.db.pool, tenant), TIMEOUT_MS).then((rows) => ({ ok: true, rows }), (err) => ({ ...failed(err), rows: [] })),
    withTimeout(taskQueuePollers(probe, namespace, taskQueue), TIMEOUT_MS).then(
      (p) => ({ ok: p.workflow.length > 0 && p.activity.length > 0, ...(p.workflow.length && p.activity.length ? {} : { error: `no worker polls task queue "${taskQueue}"` }), workflowPollers: p.workflow, activityPollers: p.activity }),
      (err) => ({ ...failed(err), workflowPollers: [], activityPollers: [] }),
    ),
  ]);
  return {
    status: temporal.ok && store.ok && workers.ok ? 'ok' : 'down',
    temporal: { ...temporal, namespace },
    store: { ok: store.ok, ...(store.ok ? {} : { error: (store as Check).error }) },
    workers: { ...workers, taskQueue },
    incidents: store.rows.map((r) => ({ status: r.status, severity: r.severity, count: r.count })),
  };
}
