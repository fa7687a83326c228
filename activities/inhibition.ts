import type { Client } from '@temporalio/client';
import type { ConfigStore } from '../src/config/store';
import type { IncidentStore } from '../src/store/incidents';
import { findInhibited } from '../src/routing/inhibition';
import { recheckHoldSignal } from '../workflows/definitions';

/**
 * An incident that can inhibit others opened, re-routed or resolved: each firing incident it
 * mutes is told to look at its hold again now, instead of finding out on its next periodic check
 * (or never, when it paged before this one existed). Idempotent: a repeated signal re-checks once more.
 */
export function createInhibitionActivity(deps: { config: ConfigStore; incidents: IncidentStore; temporal?: Client }) {
  return async function recheckInhibited(args: { tenant: string; incidentId: string; labels: Record<string, string> }): Promise<number> {
    const tenant = deps.config.tenant(args.tenant);
    if (!tenant || !deps.temporal) return 0;
    const targets = await findInhibited(deps.incidents, args.tenant, tenant, { id: args.incidentId, labels: args.labels });
    let told = 0;
    for (const t of targets) {
      if (!t.workflowId) continue;
      // A target that has just ended has nothing to re-check.
      await deps.temporal.workflow.getHandle(t.workflowId).signal(recheckHoldSignal).then(() => told++, () => undefined);
    }
    return told;
  };
}
