import type { TenantConfig } from './schema';

/** The tier a tenant without one is in (the product's middle tier). */
export const DEFAULT_TIER = 'standard';

/** A tenant's tier (src/config/sla.ts), the `tier` label of the time-to-ack/resolve histograms. */
export function tierOf(tenant: TenantConfig | undefined): string {
  return tenant?.tier ?? DEFAULT_TIER;
}
