import type { TenantConfig } from '../config/schema';
import { receiverHealth, type ReceiverHealth } from './circuitBreaker';

/**
 * Every receiver of the tenant with its circuit breaker (one never delivered to is closed), from
 * `breakers`: the shared store's rows (any role sees every worker's breakers), or by default the
 * breakers of this process.
 */
export function tenantReceiverHealth(tenant: string, config: TenantConfig | undefined, breakers: ReceiverHealth[] = receiverHealth()) {
  const known = new Map(breakers.filter((h) => h.tenant === tenant).map((h) => [h.receiver, h]));
  return Object.entries(config?.receivers ?? {}).map(([name, r]) => ({
    receiver: name,
    type: r.type,
    state: known.get(name)?.state ?? 'closed',
    failures: known.get(name)?.failures ?? 0,
    openedAt: known.get(name)?.openedAt,
    lastError: known.get(name)?.lastError,
  }));
}
