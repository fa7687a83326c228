import type { TenantConfig } from '../config/schema';
import { receiverHealth } from './circuitBreaker';

/** Every receiver of the tenant with its circuit breaker (one never used since start is closed). */
export function tenantReceiverHealth(tenant: string, config: TenantConfig | undefined) {
  const known = new Map(receiverHealth().filter((h) => h.tenant === tenant).map((h) => [h.receiver, h]));
  return Object.entries(config?.receivers ?? {}).map(([name, r]) => ({
    receiver: name,
    type: r.type,
    state: known.get(name)?.state ?? 'closed',
    failures: known.get(name)?.failures ?? 0,
    openedAt: known.get(name)?.openedAt,
    lastError: known.get(name)?.lastError,
  }));
}
