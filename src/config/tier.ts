import type { TenantConfig } from './schema';

/** The tier a tenant without one is in (the product's middle tier). */
export const DEFAULT_TIER = 'standard';

/**
 * A tenant's tier, the `tier` label of the time-to-ack/resolve histograms. The SLA tracking work
 * adds `tier` to the tenant schema; until a tenant names one it is in the default tier.
 */
export function tierOf(tenant: TenantConfig | undefined): string {
  const tier = (tenant as { tier?: unknown } | undefined)?.tier;
  return typeof tier === 'string' && tier ? tier : DEFAULT_TIER;
}
