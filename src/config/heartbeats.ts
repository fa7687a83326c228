import { z } from 'zod';
import { duration } from './durationSchema';

/**
 * A heartbeat (dead-man's switch): something that must check in every `interval`. A missed beat
 * (nothing for `interval` + `grace`) opens an incident through the tenant's routes and policies;
 * the next beat resolves it. Beats come from `POST /heartbeat/<tenant>/<name>` or from any alert
 * matching `matchers` that arrives through the webhook (Alertmanager's always-firing `Watchdog`),
 * which then opens no incident of its own.
 */
export const heartbeatSchema = z
  .object({
    interval: duration(),
    /** Extra time past the interval before the beat counts as missed (jitter, a slow scrape). */
    grace: duration().prefault('1m'),
    /** Alerts through the webhook that count as a beat (checked for syntax with the other matchers). */
    matchers: z.array(z.string()).default([]),
    /** The missed-beat incident's severity and extra labels (routes see them). */
    severity: z.string().default('critical'),
    labels: z.record(z.string(), z.string()).default({}),
    /** Escalation policy for the missed-beat incident; unset, the tenant's routes decide. */
    policy: z.string().optional(),
    summary: z.string().max(500).optional(),
  })
  .strict();

export type HeartbeatConfig = z.infer<typeof heartbeatSchema>;

/** The alert a missed beat raises: routes and inhibit rules can match on these labels. */
export const HEARTBEAT_ALERTNAME = 'HeartbeatMissing';
