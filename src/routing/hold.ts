import type { InhibitRule, TenantConfig } from '../config/schema';
import { matchesAll, parseMatcher } from './matchers';

export interface Hold {
  reason: 'maintenance' | 'inhibited';
  /** When to look again: the window's end for maintenance; a re-check interval for inhibition. */
  until: string;
  detail: string;
}

/** Open incidents of the tenant, as the inhibition check needs them. */
export interface OpenIncident {
  id: string;
  labels: Record<string, string>;
}

const INHIBIT_RECHECK_MS = 60_000;

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

function inhibits(rule: InhibitRule, source: Record<string, string>, target: Record<string, string>): boolean {
  return (
    matchesAll(rule.targetMatchers.map(parseMatcher), target) &&
    matchesAll(rule.sourceMatchers.map(parseMatcher), source) &&
    rule.equal.every((l) => (source[l] ?? '') === (target[l] ?? ''))
  );
}

/**
 * As Alertmanager's inhibit_rules: an open incident matching a rule's source mutes this one when
 * it matches the rule's target and both agree on the `equal` labels. An incident never inhibits itself.
 */
export function inhibitionHold(tenant: TenantConfig, self: OpenIncident, open: OpenIncident[], at: Date): Hold | undefined {
  for (const rule of tenant.inhibitRules) {
    const source = open.find((o) => o.id !== self.id && inhibits(rule, o.labels, self.labels));
    if (source) return { reason: 'inhibited', until: new Date(at.getTime() + INHIBIT_RECHECK_MS).toISOString(), detail: `by incident ${source.id}` };
  }
  return undefined;
}
