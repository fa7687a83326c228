import type { ConfigStore } from '../src/config/store';
import type { NotifyTargets, PolicyConfig } from '../src/config/schema';
import type { IncidentStore } from '../src/store/incidents';
import { parseMatcher, matchesAll } from '../src/routing/matchers';
import { HEARTBEAT_ALERTNAME } from '../src/config/heartbeats';
import { maintenanceHold, type Hold } from '../src/routing/hold';
import { findInhibited, findInhibition, mayInhibit } from '../src/routing/inhibition';
import type { RunbookSet } from '../src/runbook/load';
import type { Links } from '../workflows/definitions';
import { slaTargets, type SlaTargets } from '../src/config/sla';
import { incidentPageLink, type LinkSettings } from '../src/links/messageLinks';

export type PlanStep =
  | { kind: 'notify'; targets: NotifyTargets }
  | { kind: 'notifyIf'; window: string; outside: boolean; targets: NotifyTargets }
  | { kind: 'wait'; ms: number }
  | { kind: 'repeat'; from: number; times: number }
  | { kind: 'resolveAfter'; ms: number };

export interface Plan {
  policyName: string;
  /** Index of the matching route, "default", or "heartbeat" (a missed beat whose heartbeat names its policy). */
  route: number | 'default' | 'heartbeat';
  urgency: 'high' | 'low';
  ackTimeoutMs?: number;
  steps: PlanStep[];
  links: Links;
  /** Set when the incident must be held silently for now (maintenance window, inhibition). */
  hold?: Hold;
  /** Its labels match an inhibit rule's source: incidents it mutes are told when it opens and resolves. */
  mayInhibit?: boolean;
  /**
   * At open only (createOpeningFacts): how many firing incidents it mutes right now (absent: not
   * known); none means there is nobody to tell, and no re-check activity runs (issue #11).
   */
  mutes?: number;
  /** At open only: whether an automatic or suggested runbook may start; only then are runbooks matched and claimed. */
  runbooks?: boolean;
  /** The tenant's SLA targets (its tier, with overrides) and who hears of a breach. */
  sla?: SlaTargets & { notify?: NotifyTargets };
  /** The tenant's flapping rule, and how many incidents the group opened within its window (this one included). */
  flapping?: { windowMs: number; threshold: number; firedInWindow: number };
}

/**
 * The signing key never enters workflow code, so the incident page link the Web UI shows is signed
 * here; like every activity result it is encrypted in history.
 */
function pageLink(args: { tenant: string; incidentId: string }, server: LinkSettings): { incidentPage?: string } {
  const page = incidentPageLink(args.incidentId, args.tenant, server);
  return page ? { incidentPage: page } : {};
}

export function planSteps(policy: PolicyConfig): PlanStep[] {
  return policy.steps.map((s): PlanStep => {
    if ('notify' in s) return { kind: 'notify', targets: s.notify };
    if ('wait' in s) return { kind: 'wait', ms: s.wait };
    if ('repeat' in s) return { kind: 'repeat', from: s.repeat.from, times: s.repeat.times };
    if ('notifyIf' in s) return { kind: 'notifyIf', window: s.notifyIf.window, outside: s.notifyIf.outside, targets: s.notifyIf.notify };
    return { kind: 'resolveAfter', ms: s.resolveAfter };
  });
}

/**
 * Picks the tenant's escalation policy for an incident (first matching route wins), flattens it
 * into steps, and says whether the incident must be held (maintenance, inhibition). Runs as an
 * activity so the workflow history records the plan in force, and a config reload never changes a
 * running incident's past.
 */
export function createPlanActivity(deps: { config: ConfigStore; incidents: IncidentStore; namespace: string }) {
  return async function planIncident(args: { tenant: string; incidentId: string; labels: Record<string, string>; at: string; groupKey?: string }): Promise<Plan> {
    const tenant = deps.config.tenant(args.tenant);
    if (!tenant) throw new Error(`unknown tenant ${args.tenant}`);
    let route: Plan['route'] = 'default';
    let policyName = tenant.defaultPolicy;
    const heartbeat = args.labels.alertname === HEARTBEAT_ALERTNAME ? tenant.heartbeats[args.labels.heartbeat ?? ''] : undefined;
    if (heartbeat?.policy) {
      route = 'heartbeat';
      policyName = heartbeat.policy;
    } else {
      const i = tenant.routes.findIndex((r) => matchesAll(r.matchers.map(parseMatcher), args.labels));
      if (i >= 0) {
        route = i;
        policyName = tenant.routes[i].policy;
      }
    }
    const policy = tenant.escalationPolicies[policyName];
    const at = new Date(args.at);
    const hold =
      maintenanceHold(tenant, args.labels, at) ??
      // Audit store down: page rather than hold on a guess.
      (await findInhibition(deps.incidents, args.tenant, tenant, { id: args.incidentId, labels: args.labels }, at).catch(() => undefined));
    const server = deps.config.config.server;
    // Audit store down: no flapping verdict (page as usual) rather than a guess.
    const flapping =
      tenant.flapping && args.groupKey !== undefined
        ? await deps.incidents
            .startedSince(args.tenant, args.groupKey, new Date(at.getTime() - tenant.flapping.window), args.incidentId)
            .then((n) => ({ windowMs: tenant.flapping!.window, threshold: tenant.flapping!.threshold, firedInWindow: n + 1 }))
            .catch(() => undefined)
        : undefined;
    return {
      policyName,
      route,
      urgency: policy.urgency,
      ackTimeoutMs: policy.ackTimeout,
      steps: planSteps(policy),
      links: { publicUrl: server.publicUrl, temporalUiUrl: server.temporalUiUrl, namespace: deps.namespace, ...pageLink(args, server) },
      ...(hold ? { hold } : {}),
      ...(mayInhibit(tenant, args.labels) ? { mayInhibit: true } : {}),
      sla: { ...slaTargets(tenant.tier, tenant.sla), ...(policy.onSlaBreach ? { notify: policy.onSlaBreach.notify } : {}) },
      ...(flapping ? { flapping } : {}),
    };
  };
}

/**
 * Whether an automatic or suggested runbook may start for the incident: its matchers match and, if
 * it waits for a group that keeps firing (minFiredInLastHour), the group fired often enough (this
 * incident included). Only then does the incident ask matchRunbooks (which claims runs) at open.
 */
async function runbooksMayStart(deps: { incidents: IncidentStore; runbookSet?: RunbookSet }, args: { tenant: string; incidentId: string; labels: Record<string, string>; at: string; groupKey?: string }): Promise<boolean> {
  const matching = [...(deps.runbookSet?.byName.values() ?? [])].filter((r) => r.runbook.mode !== 'manual' && matchesAll(r.matchers, args.labels));
  if (matching.some((r) => !r.runbook.minFiredInLastHour)) return true;
  if (matching.length === 0) return false;
  if (args.groupKey === undefined) return true;
  const since = new Date(new Date(args.at).getTime() - 3_600_000);
  // Audit store down: not known, so matchRunbooks decides.
  const fired = await deps.incidents.startedSince(args.tenant, args.groupKey, since, args.incidentId).then((n) => n + 1, () => Infinity);
  return matching.some((r) => fired >= r.runbook.minFiredInLastHour!);
}

/**
 * What only an opening incident needs beside its plan (activities/open.ts), read once there rather
 * than on every re-plan: whom it mutes now, and whether a runbook may start for it.
 */
export function createOpeningFacts(deps: { config: ConfigStore; incidents: IncidentStore; runbookSet?: RunbookSet }) {
  return async function openingFacts(args: { tenant: string; incidentId: string; labels: Record<string, string>; at: string; groupKey?: string }, plan: Plan): Promise<Pick<Plan, 'mutes' | 'runbooks'>> {
    const tenant = deps.config.tenant(args.tenant);
    if (!tenant) throw new Error(`unknown tenant ${args.tenant}`);
    // Audit store down: not known, so the open still tells whoever it may mute.
    const mutes = plan.mayInhibit ? await findInhibited(deps.incidents, args.tenant, tenant, { id: args.incidentId, labels: args.labels }).then((found) => found.length, () => undefined) : 0;
    return { ...(mutes !== undefined ? { mutes } : {}), runbooks: await runbooksMayStart(deps, args) };
  };
}
