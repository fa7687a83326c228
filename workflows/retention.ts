import { proxyActivities } from '@temporalio/workflow';
import type { KlaxonActivities } from '../activities';
import type { RetentionResult } from '../src/audit/retention';

// Deleting a day's expired rows takes seconds; a first run over years of them, minutes (chunked).
const { applyRetention } = proxyActivities<KlaxonActivities>({
  startToCloseTimeout: '30m',
  retry: { initialInterval: '1m', backoffCoefficient: 2, maximumAttempts: 5 },
});

export const RETENTION_WORKFLOW = 'retentionWorkflow';

export interface RetentionInput {
  tenant: string;
}

/** Deletes what the tenant's `retention` says has expired (src/audit/retention.ts); started daily by a Schedule. */
export async function retentionWorkflow(input: RetentionInput): Promise<RetentionResult | { skipped: string }> {
  return applyRetention({ tenant: input.tenant });
}
