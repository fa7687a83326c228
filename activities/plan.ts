import type { ConfigStore } from '../src/config/store';
import { parseMatcher, matchesAll } from '../src/routing/matchers';
import type { Links } from '../workflows/definitions';

export type PlanStep = { kind: 'notify'; receivers: string[] } | { kind: 'wait'; ms: number };

export interface Plan {
  policyName: string;
  /** Index of the matching route, or "default". */
  route: number | 'default';
  urgency: 'high' | 'low';
  steps: PlanStep[];
  links: Links;
}

/**
 * Picks the tenant's escalation policy for an incident (first matching route wins) and flattens it
 * into steps the workflow executes. Runs as an activity so the workflow history records the plan
 * that was in force, and config reloads never change a running incident's past.
 */
export function createPlanActivity(deps: { config: ConfigStore; namespace: string }) {
  return async function planIncident(args: { tenant: string; labels: Record<string, string> }): Promise<Plan> {
    const tenant = deps.config.tenant(args.tenant);
    if (!tenant) throw new Error(`unknown tenant ${args.tenant}`);
    let route: Plan['route'] = 'default';
    let policyName = tenant.defaultPolicy;
    for (const [i, r] of tenant.routes.entries()) {
      if (matchesAll(r.matchers.map(parseMatcher), args.labels)) {
        route = i;
        policyName = r.policy;
        break;
      }
    }
    const policy = tenant.escalationPolicies[policyName];
    const steps: PlanStep[] = policy.steps.map((s) => ('wait' in s ? { kind: 'wait', ms: s.wait } : { kind: 'notify', receivers: s.notify.receivers }));
    const server = deps.config.config.server;
    return {
      policyName,
      route,
      urgency: policy.urgency,
      steps,
      links: { publicUrl: server.publicUrl, temporalUiUrl: server.temporalUiUrl, namespace: deps.namespace },
    };
  };
}
