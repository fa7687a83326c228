import { z } from 'zod';
import { secret } from './secret';
import { duration } from './durationSchema';
import { receiverSchema } from './receivers';
import { restrictSchema, scheduleSchema, timeZone, userSchema } from './schedules';
import { anomalySchema } from './anomaly';
import { heartbeatSchema } from './heartbeats';
import { slaSchema, tierSchema } from './sla';
import { runbooksSchema } from './runbooks';
import { authSchema } from './auth';
import { privacySchema, retentionSchema } from './privacy';
import { MIN_KEY_LENGTH } from '../audit/key';

/** The one source of Klaxon's configuration types: every type below is inferred from a schema. */

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use lower-case letters, digits, - and _ (max 63)');

/** Alertmanager-style matcher: `severity="critical"`, `service=~"api|web"`, `env!="dev"`. */
export const matcherText = z.string().min(3);

/** Who a notify step pages: channels directly, people through their contact methods, or whoever is on call. */
export const notifyTargets = z
  .object({
    receivers: z.array(z.string()).default([]),
    users: z.array(z.string()).default([]),
    /** Whoever is on call in these schedules when the step runs. */
    schedules: z.array(z.string()).default([]),
  })
  .strict();

export const notifyStep = z.object({ notify: notifyTargets }).strict();
export const waitStep = z.object({ wait: duration() }).strict();
/** Go back to step `from` (0-based), at most `times` times. */
export const repeatStep = z.object({ repeat: z.object({ from: z.number().int().min(0), times: z.number().int().min(1).max(100) }).strict() }).strict();
/** Notify only inside (or, with `outside: true`, outside) a named time window, e.g. business hours. */
export const notifyIfStep = z
  .object({ notifyIf: z.object({ window: z.string(), outside: z.boolean().default(false), notify: notifyTargets }).strict() })
  .strict();
/** Resolve the incident by itself after this long without any change to its alerts. */
export const resolveAfterStep = z.object({ resolveAfter: duration() }).strict();
const STEP_KINDS = { notify: notifyStep, wait: waitStep, repeat: repeatStep, notifyIf: notifyIfStep, resolveAfter: resolveAfterStep };
type StepKind = keyof typeof STEP_KINDS;

/**
 * A step is an object with exactly one known key. Picking the schema by that key (instead of a
 * plain union) lets an error point at the field, e.g. `steps.1.wait: "soon" is not a duration`.
 */
export const stepSchema = z.unknown().transform((raw, ctx): z.output<(typeof STEP_KINDS)[StepKind]> => {
  const keys = raw && typeof raw === 'object' && !Array.isArray(raw) ? Object.keys(raw) : [];
  const kind = keys.find((k): k is StepKind => Object.hasOwn(STEP_KINDS, k));
  if (!kind || keys.length !== 1) {
    ctx.addIssue({ code: 'custom', message: `a step is one of ${Object.keys(STEP_KINDS).join(', ')} (got ${keys.length ? keys.join(', ') : JSON.stringify(raw)})` });
    return z.NEVER;
  }
  const r = STEP_KINDS[kind].safeParse(raw);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path as PropertyKey[] });
    return z.NEVER;
  }
  return r.data;
});

export const policySchema = z
  .object({
    urgency: z.enum(['high', 'low']).default('high'),
    /** Acknowledged but not resolved within this long: escalation starts again (PagerDuty uses 30m). */
    ackTimeout: duration().optional(),
    /** Who hears of an SLA breach (the tenant's tier targets) while the incident is not yet acknowledged. */
    onSlaBreach: z.object({ notify: notifyTargets }).strict().optional(),
    steps: z.array(stepSchema).min(1, 'a policy needs at least one step'),
  })
  .strict();

/** A weekly window in a time zone (business hours, nights, weekends). */
export const timeWindowSchema = restrictSchema.extend({ timeZone: timeZone() }).strict();

/** Alerts matching these are held silently (recorded, not paged) between from and to. */
export const maintenanceWindowSchema = z
  .object({
    name: z.string().optional(),
    matchers: z.array(matcherText).min(1, 'a maintenance window needs at least one matcher'),
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
  })
  .strict();

/** As Alertmanager's inhibit_rules: a firing source mutes targets that share the `equal` labels. */
export const inhibitRuleSchema = z
  .object({
    sourceMatchers: z.array(matcherText).min(1),
    targetMatchers: z.array(matcherText).min(1),
    equal: z.array(z.string()).default([]),
  })
  .strict();

export const DEFAULT_INHIBIT_RULES = [{ sourceMatchers: ['severity="critical"'], targetMatchers: ['severity="warning"'], equal: ['alertname', 'service'] }];

/** Which receiver reaches a person through which contact method (the user's slack id, email, …). */
export const userChannelsSchema = z
  .object({ slack: z.string().optional(), email: z.string().optional(), telegram: z.string().optional(), phone: z.string().optional(), sms: z.string().optional(), voice: z.string().optional(), push: z.string().optional() })
  .strict();

export const routeSchema = z
  .object({
    matchers: z.array(matcherText).default([]),
    policy: z.string(),
  })
  .strict();

/**
 * Token bucket per tenant on the webhook and, separately, on the heartbeat route: over it the answer
 * is 429 with Retry-After, which Alertmanager retries. The default is far above one Alertmanager's
 * rate (a post per group per group_interval) and still stops a runaway sender.
 */
export const intakeRateLimitSchema = z
  .object({
    perSecond: z.number().positive().default(50),
    burst: z.number().int().positive().default(200),
  })
  .strict();

export const tenantSchema = z
  .object({
    /** Bearer token Alertmanager sends to POST /webhook/:tenant (and check-ins to POST /heartbeat/:tenant/:name). */
    webhook: z.object({ token: secret(), rateLimit: intakeRateLimitSchema.prefault({}) }).strict(),
    /**
     * Deprecated: one shared bearer token for the REST API and CLI, with every permission and the
     * actor `api-token`. Per-user tokens (`klaxon token issue`, or OIDC) replace it (server.auth).
     */
    api: z.object({ token: secret() }).strict(),
    /** Slack app of this tenant: its signing secret verifies button clicks (POST /integrations/slack/actions). */
    slack: z.object({ signingSecret: secret() }).strict().optional(),
    /** One incident per Alertmanager group (default) or per alert fingerprint. */
    groupBy: z.enum(['groupKey', 'fingerprint']).default('groupKey'),
    users: z.record(name, userSchema).default({}),
    schedules: z.record(name, scheduleSchema).default({}),
    receivers: z.record(name, receiverSchema).default({}),
    userChannels: userChannelsSchema.default({}),
    escalationPolicies: z.record(name, policySchema).default({}),
    timeWindows: z.record(name, timeWindowSchema).default({}),
    maintenanceWindows: z.array(maintenanceWindowSchema).default([]),
    inhibitRules: z.array(inhibitRuleSchema).default(DEFAULT_INHIBIT_RULES),
    /** Ordered; the first route whose matchers all match picks the policy. */
    routes: z.array(routeSchema).default([]),
    defaultPolicy: z.string(),
    /** Anomaly scoring and retraining (models/). */
    anomaly: anomalySchema.prefault({}),
    /** Runbooks as code (issue #9): kill switch, default Prometheus/Alertmanager, allow-lists for `http` and `exec`. */
    runbooks: runbooksSchema.prefault({}),
    /** Handlebars template overrides per receiver type (`webhook`, `slack`, …). */
    templates: z.record(z.string(), z.string()).default({}),
    /**
     * Flapping: a group that opened `threshold` incidents within `window` (this one included) is one
     * flapping incident: its resolves and re-fires fold into it, and it resolves after `window` quiet.
     */
    flapping: z.object({ window: duration(), threshold: z.number().int().min(2).max(100) }).strict().optional(),
    /** Service tier: its SLA targets (ack and resolve within) apply to every incident of the tenant. */
    tier: tierSchema,
    /** Overrides of the tier's SLA targets. */
    sla: slaSchema.optional(),
    /** Dead-man's switches: a missed beat opens an incident, the next beat resolves it. */
    heartbeats: z.record(name, heartbeatSchema).default({}),
    /** Redaction of personal data before audit rows and model features are written (README: Audit trail and privacy). */
    privacy: privacySchema.prefault({}),
    /** Audit rows, ledger, classifications and retired model weights older than this are deleted daily (`400d`); absent: kept forever. */
    retention: retentionSchema.optional(),
  })
  .strict();

export const serverSchema = z
  .object({
    /** Largest webhook body accepted; Alertmanager groups rarely exceed a few hundred KiB. */
    bodyLimitBytes: z.number().int().positive().default(1024 * 1024),
    /** Base URL people reach Klaxon at, used for links in messages. */
    publicUrl: z.string().url().default('http://localhost:8080'),
    /**
     * Key for signed links in messages: one-click acknowledge (`/a/<token>`) and the incident page
     * (`/i/<token>`). Without it messages carry no ack link, and "Incident" opens the Temporal Web UI.
     */
    linkSigningKey: secret().optional(),
    /** How long a one-click link stays valid. */
    linkTtl: duration().prefault('24h'),
    /** How long an incident page link (read-only, usable any number of times) stays valid. */
    pageLinkTtl: duration().prefault('30d'),
    /** Base URL of the Temporal Web UI, for "open workflow" links. */
    temporalUiUrl: z.string().url().default('http://localhost:8233'),
    /** Bearer token for GET /metrics (a `${ENV}` secret); unset, /metrics is open, as Prometheus expects by default. */
    metricsToken: secret().optional(),
    /** API authentication: Klaxon's token signing keys and trusted identity providers (OIDC). */
    auth: authSchema.prefault({}),
    /**
     * HMAC key sealing the audit hash chain (at least 32 characters). Absent: KLAXON_AUDIT_KEY from
     * the environment, else `<data dir>/audit.key`, created at first start (src/audit/key.ts).
     */
    auditKey: secret()
      .refine((s) => s.reveal().length >= MIN_KEY_LENGTH, `must be at least ${MIN_KEY_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`)
      .optional(),
  })
  .strict();

export const configSchema = z
  .object({
    server: serverSchema.prefault({}),
    tenants: z.record(name, tenantSchema),
  })
  .strict();

export type KlaxonConfig = z.infer<typeof configSchema>;
export type TenantConfig = z.infer<typeof tenantSchema>;
export type PolicyConfig = z.infer<typeof policySchema>;
export type StepConfig = z.infer<typeof stepSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type NotifyTargets = z.infer<typeof notifyTargets>;
export type TimeWindowConfig = z.infer<typeof timeWindowSchema>;
export type InhibitRule = z.infer<typeof inhibitRuleSchema>;
export type ServerConfig = z.infer<typeof serverSchema>;
export { type ReceiverConfig } from './receivers';
