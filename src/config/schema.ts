import { z } from 'zod';
import { secret } from './secret';
import { duration } from './duration';
import { receiverSchema } from './receivers';

/** The one source of Klaxon's configuration types: every type below is inferred from a schema. */

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use lower-case letters, digits, - and _ (max 63)');

/** Alertmanager-style matcher: `severity="critical"`, `service=~"api|web"`, `env!="dev"`. */
export const matcherText = z.string().min(3);

export const notifyStep = z
  .object({
    notify: z
      .object({
        receivers: z.array(z.string()).default([]),
        users: z.array(z.string()).default([]),
        /** Notify whoever is on call in these schedules at the time of the step. */
        schedules: z.array(z.string()).default([]),
      })
      .strict(),
  })
  .strict();
export const waitStep = z.object({ wait: duration() }).strict();
export const stepSchema = z.union([notifyStep, waitStep]);

export const policySchema = z
  .object({
    urgency: z.enum(['high', 'low']).default('high'),
    steps: z.array(stepSchema).min(1, 'a policy needs at least one step'),
  })
  .strict();

export const routeSchema = z
  .object({
    matchers: z.array(matcherText).default([]),
    policy: z.string(),
  })
  .strict();

export const tenantSchema = z
  .object({
    /** Bearer token Alertmanager sends to POST /webhook/:tenant. */
    webhook: z.object({ token: secret() }).strict(),
    /** Bearer token for the REST API and CLI (per-user JWT with permissions comes later). */
    api: z.object({ token: secret() }).strict(),
    /** One incident per Alertmanager group (default) or per alert fingerprint. */
    groupBy: z.enum(['groupKey', 'fingerprint']).default('groupKey'),
    receivers: z.record(name, receiverSchema).default({}),
    escalationPolicies: z.record(name, policySchema).default({}),
    /** Ordered; the first route whose matchers all match picks the policy. */
    routes: z.array(routeSchema).default([]),
    defaultPolicy: z.string(),
    /** Handlebars template overrides per receiver type (`webhook`, `slack`, …). */
    templates: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const serverSchema = z
  .object({
    /** Largest webhook body accepted; Alertmanager groups rarely exceed a few hundred KiB. */
    bodyLimitBytes: z.number().int().positive().default(1024 * 1024),
    /** Base URL people reach Klaxon at, used for links in messages. */
    publicUrl: z.string().url().default('http://localhost:8080'),
    /** Base URL of the Temporal Web UI, for "open workflow" links. */
    temporalUiUrl: z.string().url().default('http://localhost:8233'),
  })
  .strict();

export const configSchema = z
  .object({
    server: serverSchema.default({} as never),
    tenants: z.record(name, tenantSchema),
  })
  .strict();

export type KlaxonConfig = z.infer<typeof configSchema>;
export type TenantConfig = z.infer<typeof tenantSchema>;
export type PolicyConfig = z.infer<typeof policySchema>;
export type StepConfig = z.infer<typeof stepSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type ServerConfig = z.infer<typeof serverSchema>;
export { type ReceiverConfig } from './receivers';
