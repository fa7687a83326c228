import { z } from 'zod';
import { formatDuration } from './duration';
import { duration } from './durationSchema';

/**
 * Service tiers and their SLA targets: how soon an incident must be acknowledged and resolved.
 * A tenant picks a tier (`tier:`) and may override either target (`sla:`). A breach is recorded in
 * the incident's timeline, counted in klaxon_sla_breaches_total, and may notify (`onSlaBreach` in
 * the escalation policy).
 */
export const TIERS = ['free', 'basic', 'standard', 'premium', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

const H = 3_600_000;
export const TIER_TARGETS: Record<Tier, { ackWithinMs: number; resolveWithinMs: number }> = {
  free: { ackWithinMs: 24 * H, resolveWithinMs: 7 * 24 * H },
  basic: { ackWithinMs: 4 * H, resolveWithinMs: 72 * H },
  standard: { ackWithinMs: H, resolveWithinMs: 24 * H },
  premium: { ackWithinMs: 15 * 60_000, resolveWithinMs: 8 * H },
  enterprise: { ackWithinMs: 5 * 60_000, resolveWithinMs: 4 * H },
};

/** The product's middle tier: a tenant that names none is in it. */
export const DEFAULT_TIER: Tier = 'standard';
export const tierSchema = z.enum(TIERS).default(DEFAULT_TIER);

/** Per-tenant overrides of the tier's targets. */
export const slaSchema = z
  .object({
    ackWithin: duration().optional(),
    resolveWithin: duration().optional(),
  })
  .strict();

export interface SlaTargets {
  tier: Tier;
  ackWithinMs: number;
  resolveWithinMs: number;
}

export function slaTargets(tier: Tier, overrides: z.infer<typeof slaSchema> | undefined): SlaTargets {
  const base = TIER_TARGETS[tier];
  return { tier, ackWithinMs: overrides?.ackWithin ?? base.ackWithinMs, resolveWithinMs: overrides?.resolveWithin ?? base.resolveWithinMs };
}

/** For docs and `klaxon validate`: "standard: ack within 1h, resolve within 1d". */
export function describeTargets(t: SlaTargets): string {
  return `${t.tier}: ack within ${formatDuration(t.ackWithinMs)}, resolve within ${formatDuration(t.resolveWithinMs)}`;
}
