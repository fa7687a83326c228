import type { TenantConfig } from '../config/schema';
import { matchesAll, parseMatcher } from './matchers';

export interface Hold {
  reason: 'maintenance' | 'inhibited';
  /** When to look again: the window's end for maintenance; a re-check interval for inhibition. */
  until: string;
  detail: string;
}

/** A maintenance window covering these labels at `at`, if any. */
export function maintenanceHold(tenant: TenantConfig, labels: Record<string, string>, at: Date): Hold | undefined {
  for (const w of tenant.maintenanceWindows) {
    const [from, to] = [Date.parse(w.from), Date.parse(w.to)];
    if (at.getTime() >= from && at.getTime() < to && matchesAll(w.matchers.map(parseMatcher), labels)) {
      return { reason: 'maintenance', until: w.to, detail: w.name ?? w.matchers.join(', ') };
    }
  }
  return undefined;
}
