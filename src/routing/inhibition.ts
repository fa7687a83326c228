import type { InhibitRule, TenantConfig } from '../config/schema';
import { matchesAll, parseMatcher, type Matcher } from './matchers';
import type { Hold } from './hold';

/** An open incident as inhibition sees it. */
export interface OpenIncident {
  id: string;
  labels: Record<string, string>;
  workflowId?: string;
}

/** Live incident state: open incidents of a tenant whose labels contain `contains`. */
export interface OpenIncidents {
  openMatching(tenant: string, contains: Record<string, string>, opts: { except: string; status: Array<'firing' | 'acknowledged'> }): Promise<OpenIncident[]>;
}

/**
 * Held inhibited incidents look again this often even if no signal comes; sources signal their
 * targets when they open and when they resolve, so this is only a safety net.
 */
export const INHIBIT_RECHECK_MS = 15 * 60_000;

const parsed = (texts: string[]): Matcher[] => texts.map(parseMatcher);

function inhibits(rule: InhibitRule, source: Record<string, string>, target: Record<string, string>): boolean {
  return (
    matchesAll(parsed(rule.targetMatchers), target) &&
    matchesAll(parsed(rule.sourceMatchers), source) &&
    rule.equal.every((l) => (source[l] ?? '') === (target[l] ?? ''))
  );
}

/**
 * Labels the other side must carry for `rule` to apply: its `equal` labels with this side's values
 * and its equality matchers. The store narrows by them (an index lookup); `inhibits` has the last word.
 */
function mustContain(matchers: string[], equal: string[], labels: Record<string, string>): Record<string, string> {
  const contains: Record<string, string> = {};
  for (const l of equal) if (labels[l]) contains[l] = labels[l];
  for (const m of parsed(matchers)) if (m.op === '=' && m.value !== '') contains[m.name] = m.value;
  return contains;
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

/** Whether `labels` could mute another incident under one of the tenant's rules. */
export function mayInhibit(tenant: TenantConfig, labels: Record<string, string>): boolean {
  return tenant.inhibitRules.some((r) => matchesAll(parsed(r.sourceMatchers), labels));
}

/** The hold for `self` if an open incident inhibits it now, reading only candidate sources. */
export async function findInhibition(store: OpenIncidents, tenantName: string, tenant: TenantConfig, self: OpenIncident, at: Date): Promise<Hold | undefined> {
  for (const rule of tenant.inhibitRules) {
    if (!matchesAll(parsed(rule.targetMatchers), self.labels)) continue;
    const candidates = await store.openMatching(tenantName, mustContain(rule.sourceMatchers, rule.equal, self.labels), { except: self.id, status: ['firing', 'acknowledged'] });
    const hold = inhibitionHold({ ...tenant, inhibitRules: [rule] }, self, candidates, at);
    if (hold) return hold;
  }
  return undefined;
}

/** Firing incidents that `source` inhibits under some rule: the ones to look again when it opens or resolves. */
export async function findInhibited(store: OpenIncidents, tenantName: string, tenant: TenantConfig, source: OpenIncident): Promise<OpenIncident[]> {
  const found = new Map<string, OpenIncident>();
  for (const rule of tenant.inhibitRules) {
    if (!matchesAll(parsed(rule.sourceMatchers), source.labels)) continue;
    const candidates = await store.openMatching(tenantName, mustContain(rule.targetMatchers, rule.equal, source.labels), { except: source.id, status: ['firing'] });
    for (const c of candidates) if (inhibits(rule, source.labels, c.labels)) found.set(c.id, c);
  }
  return [...found.values()];
}
