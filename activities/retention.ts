import { log } from '@temporalio/activity';
import type { ConfigStore } from '../src/config/store';
import type { AuditKey } from '../src/audit/key';
import type { Queryable } from '../src/store/lanes';
import { applyRetention, type RetentionResult } from '../src/audit/retention';

/** The daily retention run of one tenant; a tenant without `retention` (any more) keeps everything. */
export function createRetentionActivity(deps: { config: ConfigStore; retention?: { pool: Queryable; key: AuditKey } }) {
  return async function applyRetentionActivity(args: { tenant: string }): Promise<RetentionResult | { skipped: string }> {
    const retentionMs = deps.config.tenant(args.tenant)?.retention;
    if (!retentionMs) return { skipped: `tenant ${args.tenant} keeps its audit trail forever (no retention)` };
    if (!deps.retention) return { skipped: 'this worker has no audit store' };
    const result = await applyRetention(deps.retention.pool, deps.retention.key, { tenant: args.tenant, retentionMs });
    log.info('retention applied', { tenant: args.tenant, ...result });
    return result;
  };
}
