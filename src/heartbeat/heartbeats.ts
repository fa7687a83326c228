import type { Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import type { AlertmanagerPayload } from '../alertmanager/payload';
import type { HeartbeatConfig } from '../config/heartbeats';
import type { KlaxonConfig, TenantConfig } from '../config/schema';
import type { Logger } from '../logger';
import { matchesAll, parseMatcher } from '../routing/matchers';
import {
  HEARTBEAT_WORKFLOW,
  heartbeatBeatSignal,
  heartbeatConfigureSignal,
  heartbeatRetireSignal,
  heartbeatWorkflowId,
  type HeartbeatInput,
  type HeartbeatSettings,
} from '../../workflows/heartbeatDefinitions';

export function settingsOf(h: HeartbeatConfig): HeartbeatSettings {
  return { intervalMs: h.interval, graceMs: h.grace };
}

/**
 * The edge of heartbeats: a beat is a signal to the heartbeat's workflow, started on first use
 * (signal-with-start), so a beat is one Temporal write and never waits for a worker.
 */
export class Heartbeats {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  async beat(tenant: string, name: string, h: HeartbeatConfig, source: string): Promise<void> {
    await this.signalStarting(tenant, name, h, heartbeatBeatSignal, [{ source }]);
  }

  /** Signals the heartbeat's workflow, starting it with the config's settings if it is not running. */
  private async signalStarting(tenant: string, name: string, h: HeartbeatConfig, signal: SignalDefinition<any[]>, signalArgs: unknown[]): Promise<void> {
    await this.client.workflow.signalWithStart(HEARTBEAT_WORKFLOW, {
      workflowId: heartbeatWorkflowId(tenant, name),
      taskQueue: this.taskQueue,
      args: [{ tenant, name, settings: settingsOf(h) } satisfies HeartbeatInput],
      signal,
      signalArgs,
    });
  }

  /**
   * Every configured heartbeat watches from now on (started if it was not, given its current
   * settings); one that left a tenant's config is retired (its open incident resolves). Heartbeats
   * of tenants not in this config are left alone: another deployment may share the namespace.
   */
  async sync(config: KlaxonConfig, log?: Logger): Promise<{ watching: string[]; retired: string[]; failed: string[] }> {
    const out = { watching: [] as string[], retired: [] as string[], failed: [] as string[] };
    for (const [tenant, t] of Object.entries(config.tenants)) {
      for (const [name, h] of Object.entries(t.heartbeats)) {
        const workflowId = heartbeatWorkflowId(tenant, name);
        try {
          await this.signalStarting(tenant, name, h, heartbeatConfigureSignal, [settingsOf(h)]);
          out.watching.push(workflowId);
        } catch (err) {
          out.failed.push(workflowId);
          log?.error({ heartbeat: workflowId, err: (err as Error).message }, 'heartbeat not started');
        }
      }
    }
    try {
      for await (const w of this.client.workflow.list({ query: `WorkflowType = '${HEARTBEAT_WORKFLOW}' AND ExecutionStatus = 'Running'` })) {
        const [, tenant, name] = w.workflowId.split('/');
        if (!tenant || !name || !config.tenants[tenant] || Object.hasOwn(config.tenants[tenant].heartbeats, name)) continue;
        await this.client.workflow.getHandle(w.workflowId).signal(heartbeatRetireSignal);
        out.retired.push(w.workflowId);
      }
    } catch (err) {
      log?.warn({ err: (err as Error).message }, 'could not list heartbeats to retire');
    }
    if (out.watching.length || out.retired.length) log?.info({ watching: out.watching.length, retired: out.retired }, 'heartbeats synced');
    return out;
  }
}

/**
 * Splits a webhook post: firing alerts that match a heartbeat's matchers are beats (Alertmanager's
 * always-firing Watchdog) and open no incident; the rest is ingested as usual. A heartbeat alert
 * that resolves is dropped: its source stopped, and the missed beat will say so.
 */
export function splitHeartbeats(t: TenantConfig, payload: AlertmanagerPayload): { beats: Array<{ name: string; source: string }>; rest?: AlertmanagerPayload } {
  const watched = Object.entries(t.heartbeats).filter(([, h]) => h.matchers.length > 0);
  if (!watched.length) return { beats: [], rest: payload };
  const beats = new Map<string, string>();
  const rest = payload.alerts.filter((a) => {
    const hit = watched.find(([, h]) => matchesAll(h.matchers.map(parseMatcher), a.labels));
    if (!hit) return true;
    if (a.status === 'firing') beats.set(hit[0], `webhook:${a.labels.alertname ?? a.fingerprint}`);
    return false;
  });
  return {
    beats: [...beats].map(([name, source]) => ({ name, source })),
    ...(rest.length ? { rest: rest.length === payload.alerts.length ? payload : { ...payload, alerts: rest } } : {}),
  };
}
