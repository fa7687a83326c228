import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { KlaxonConfig } from '../config/schema';
import type { Logger } from '../logger';
import { KlaxonTenant } from './searchAttributes';
import { RETRAIN_WORKFLOW, retrainWorkflowIdPrefix, type RetrainInput } from '../../workflows/retrain';
import { RETENTION_WORKFLOW, type RetentionInput } from '../../workflows/retention';

/**
 * One Temporal Schedule per tenant that starts the retrain workflow (workflows/retrain.ts) on the
 * tenant's `anomaly.retrainCron`, in `anomaly.timeZone`. Synced at start (and after a config reload):
 * created when missing, updated when the cron, zone or task queue changed, left alone otherwise,
 * deleted for tenants whose anomaly mode is `off`. Schedules of tenants no longer in the config are
 * not touched: other Klaxon deployments may share the namespace.
 *
 * Overlap policy SKIP: a retrain still running when the next one is due makes the next one a no-op.
 */

export function retrainScheduleId(tenant: string): string {
  return `klaxon-retrain/${tenant}`;
}

export interface ScheduleSyncResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
  failed: Array<{ tenant: string; error: string }>;
}

/** The schedule's note doubles as the fingerprint of what it was created from. */
function noteFor(cron: string, zone: string, taskQueue: string): string {
  return `klaxon retrain: cron "${cron}" in ${zone}, task queue ${taskQueue}`;
}

export function retrainSchedule(tenant: string, cron: string, zone: string, taskQueue: string): ScheduleOptions {
  const input: RetrainInput = { tenant, trigger: 'schedule' };
  return {
    scheduleId: retrainScheduleId(tenant),
    spec: { cronExpressions: [cron], timezone: zone },
    action: {
      type: 'startWorkflow',
      workflowType: RETRAIN_WORKFLOW,
      taskQueue,
      args: [input],
      // The server appends the scheduled time: retrain/<tenant>/scheduled-2025-01-01T03:00:00Z.
      workflowId: `${retrainWorkflowIdPrefix(tenant)}scheduled`,
      typedSearchAttributes: [{ key: KlaxonTenant, value: tenant }],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1h' },
    state: { note: noteFor(cron, zone, taskQueue) },
  };
}

export async function syncRetrainSchedules(client: Client, config: KlaxonConfig, taskQueue: string, log?: Logger): Promise<ScheduleSyncResult> {
  return syncTenantSchedules(client, config, 'retrain', retrainScheduleId, (tenant, t) => (t.anomaly.mode === 'off' ? undefined : retrainSchedule(tenant, t.anomaly.retrainCron, t.anomaly.timeZone, taskQueue)), log);
}

/**
 * One schedule per tenant, kept as `desired` says: created when missing, updated when its note (the
 * fingerprint of what it was made from) changed, left alone otherwise, deleted when the tenant no
 * longer wants one. Schedules of tenants not in this config are not touched (another deployment may
 * share the namespace). Retraining and retention are not on the paging path: a schedule that cannot
 * be set up is logged, not fatal.
 */
async function syncTenantSchedules(
  client: Client,
  config: KlaxonConfig,
  what: string,
  idOf: (tenant: string) => string,
  desired: (tenant: string, t: KlaxonConfig['tenants'][string]) => ScheduleOptions | undefined,
  log?: Logger,
): Promise<ScheduleSyncResult> {
  const result: ScheduleSyncResult = { created: [], updated: [], unchanged: [], deleted: [], failed: [] };
  await Promise.all(
    Object.entries(config.tenants).map(async ([tenant, t]) => {
      const handle = client.schedule.getHandle(idOf(tenant));
      try {
        const want = desired(tenant, t);
        if (!want) {
          await handle.delete().then(
            () => result.deleted.push(tenant),
            (err) => {
              if (!(err instanceof ScheduleNotFoundError)) throw err;
            },
          );
          return;
        }
        try {
          await client.schedule.create(want);
          result.created.push(tenant);
        } catch (err) {
          if (!(err instanceof ScheduleAlreadyRunning)) throw err;
          const current = await handle.describe();
          if (current.state.note === want.state!.note) {
            result.unchanged.push(tenant);
            return;
          }
          await handle.update((prev) => ({ ...prev, spec: want.spec, action: want.action, policies: want.policies, state: { ...prev.state, note: want.state!.note } }));
          result.updated.push(tenant);
        }
      } catch (err) {
        result.failed.push({ tenant, error: (err as Error).message });
      }
    }),
  );
  if (result.failed.length) log?.error({ failed: result.failed }, `${what} schedules could not be set up`);
  if (result.created.length || result.updated.length || result.deleted.length) {
    log?.info({ created: result.created, updated: result.updated, deleted: result.deleted }, `${what} schedules synced`);
  }
  return result;
}

/** Task queue the tenant's retrain schedule starts workflows on (the API starts manual retrains there too). */
export async function retrainTaskQueue(client: Client, tenant: string): Promise<string | undefined> {
  try {
    const d = await client.schedule.getHandle(retrainScheduleId(tenant)).describe();
    return d.action.type === 'startWorkflow' ? d.action.taskQueue : undefined;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** Retention (tenant `retention`) runs daily at this time, UTC: after the night's retrains. */
export const RETENTION_CRON = '30 4 * * *';

export function retentionScheduleId(tenant: string): string {
  return `klaxon-retention/${tenant}`;
}

export function retentionSchedule(tenant: string, taskQueue: string): ScheduleOptions {
  const input: RetentionInput = { tenant };
  return {
    scheduleId: retentionScheduleId(tenant),
    spec: { cronExpressions: [RETENTION_CRON], timezone: 'UTC' },
    action: {
      type: 'startWorkflow',
      workflowType: RETENTION_WORKFLOW,
      taskQueue,
      args: [input],
      workflowId: `retention/${tenant}/scheduled`,
      typedSearchAttributes: [{ key: KlaxonTenant, value: tenant }],
    },
    // A missed day is caught up within a day: deletion late is fine, deletion never is not.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1d' },
    state: { note: `klaxon retention: daily at ${RETENTION_CRON} UTC, task queue ${taskQueue}` },
  };
}

/**
 * One retention Schedule per tenant with `retention`, as the retrain schedules are synced: created
 * when missing, updated when the task queue changed, deleted when the tenant no longer sets
 * `retention`. Failures are logged, not fatal (retention is not on the paging path).
 */
export async function syncRetentionSchedules(client: Client, config: KlaxonConfig, taskQueue: string, log?: Logger): Promise<ScheduleSyncResult> {
  return syncTenantSchedules(client, config, 'retention', retentionScheduleId, (tenant, t) => (t.retention ? retentionSchedule(tenant, taskQueue) : undefined), log);
}
