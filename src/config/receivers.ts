import { z } from 'zod';
import { secret } from './secret';
import { duration } from './duration';

/**
 * Receiver (channel target) schemas, one entry per channel type. Each notifier in src/notifiers/
 * handles exactly one `type` here; the union below is what a tenant's `receivers:` map accepts.
 * Every vendor base URL is configurable (default: the vendor's real endpoint) so tests and
 * self-hosted/regional installations can point elsewhere.
 */

/** Settings every receiver shares: delivery timeout, rate limit, circuit breaker, fallback. */
export const receiverCommon = {
  /** Per-request timeout. */
  timeout: duration().prefault('10s'),
  /** Token bucket: at most `rateLimit.per` messages per `rateLimit.every`; vendor default when absent. */
  rateLimit: z.object({ per: z.number().int().positive(), every: duration() }).strict().optional(),
  /** Consecutive failures that open the circuit, and how long it stays open before one trial. */
  circuitBreaker: z
    .object({ failures: z.number().int().positive().default(5), cooldown: duration().prefault('60s') })
    .strict()
    .optional(),
  /** Receiver to use while this one's circuit breaker is open. */
  fallback: z.string().optional(),
};

const severityLevels = z.enum(['info', 'warning', 'critical']);

export const webhookReceiver = z
  .object({
    type: z.literal('webhook'),
    url: secret(),
    /** HMAC-SHA256 key; when set, requests carry `X-Klaxon-Signature: sha256=<hex>`. */
    secret: secret().optional(),
    /** `klaxon` (default): Klaxon's incident JSON; `alertmanager`: Alertmanager's webhook body. */
    format: z.enum(['klaxon', 'alertmanager']).default('klaxon'),
    headers: z.record(z.string(), z.string()).default({}),
    ...receiverCommon,
  })
  .strict();

/**
 * Slack: either an incoming webhook (`webhookUrl`), or the Web API with a bot token (`token` +
 * `channel`), which can thread replies and update the original message.
 */
export const slackReceiver = z
  .object({
    type: z.literal('slack'),
    webhookUrl: secret().optional(),
    /** Bot token (`xoxb-…`) with the chat:write scope. */
    token: secret().optional(),
    /** Channel ID (C…) or name, for the Web API. */
    channel: z.string().min(1).optional(),
    apiUrl: z.url().default('https://slack.com/api'),
    /** How ack/resolve appear (Web API only): reply in the thread, edit the original, or both. */
    updates: z.enum(['thread', 'update', 'both']).default('both'),
    /** Acknowledge / Resolve / Snooze buttons (need the lead's interactivity route configured in Slack). */
    buttons: z.boolean().default(true),
    username: z.string().optional(),
    iconEmoji: z.string().optional(),
    ...receiverCommon,
  })
  .strict()
  .refine((r) => (r.webhookUrl ? !r.token : !!r.token && !!r.channel), {
    message: 'set either webhookUrl, or token and channel',
  });

/** Microsoft Teams: a Workflows (Power Automate) webhook, or a legacy Office 365 connector. */
export const teamsReceiver = z
  .object({
    type: z.literal('teams'),
    url: secret(),
    /** `adaptive` (Workflows; default) or `messagecard` (legacy Office 365 connector). */
    format: z.enum(['adaptive', 'messagecard']).default('adaptive'),
    ...receiverCommon,
  })
  .strict();

export const discordReceiver = z
  .object({
    type: z.literal('discord'),
    /** `https://discord.com/api/webhooks/{id}/{token}`; the token makes the whole URL a secret. */
    url: secret(),
    username: z.string().max(80).optional(),
    avatarUrl: z.url().optional(),
    ...receiverCommon,
  })
  .strict();

export const telegramReceiver = z
  .object({
    type: z.literal('telegram'),
    botToken: secret(),
    /** Chat id (e.g. -1001234567890) or @channelusername. */
    chatId: z.union([z.string().min(1), z.number().int()]).transform(String),
    /** Forum topic to post in. */
    messageThreadId: z.number().int().optional(),
    apiUrl: z.url().default('https://api.telegram.org'),
    disableNotification: z.boolean().default(false),
    ...receiverCommon,
  })
  .strict();

export const pagerdutyReceiver = z
  .object({
    type: z.literal('pagerduty'),
    /** Events API v2 integration key (32 characters). */
    routingKey: secret(),
    apiUrl: z.url().default('https://events.pagerduty.com/v2/enqueue'),
    /** `payload.source`; defaults to the incident's service. */
    source: z.string().optional(),
    component: z.string().optional(),
    group: z.string().optional(),
    class: z.string().optional(),
    /** Klaxon severity → PagerDuty severity (critical, error, warning, info). */
    severity: z
      .record(severityLevels, z.enum(['critical', 'error', 'warning', 'info']))
      .default({ critical: 'critical', warning: 'warning', info: 'info' }),
    ...receiverCommon,
  })
  .strict();

const opsgenieResponder = z
  .object({
    type: z.enum(['team', 'user', 'escalation', 'schedule']),
    id: z.string().optional(),
    name: z.string().optional(),
    username: z.string().optional(),
  })
  .strict();

export const opsgenieReceiver = z
  .object({
    type: z.literal('opsgenie'),
    apiKey: secret(),
    /** `us` → api.opsgenie.com, `eu` → api.eu.opsgenie.com; `apiUrl` overrides both. */
    region: z.enum(['us', 'eu']).default('us'),
    apiUrl: z.url().optional(),
    responders: z.array(opsgenieResponder).default([]),
    tags: z.array(z.string().max(50)).max(20).default([]),
    /** Klaxon severity → Opsgenie priority. */
    priority: z.record(severityLevels, z.enum(['P1', 'P2', 'P3', 'P4', 'P5'])).default({ critical: 'P1', warning: 'P3', info: 'P5' }),
    entity: z.string().max(512).optional(),
    ...receiverCommon,
  })
  .strict();

export const jiraReceiver = z
  .object({
    type: z.literal('jira'),
    /** Site base URL, e.g. https://example.atlassian.net. */
    url: z.url(),
    email: z.string().min(1),
    apiToken: secret(),
    /** REST v3 writes Atlassian Document Format; v2 writes plain text (Jira Server/Data Center). */
    apiVersion: z.enum(['2', '3']).default('3'),
    project: z.string().min(1),
    issueType: z.string().default('Bug'),
    labels: z.array(z.string().regex(/^\S+$/, 'Jira labels cannot contain spaces')).default(['klaxon']),
    /** Jira priority name per Klaxon severity (omit to use the project's default). */
    priority: z.record(severityLevels, z.string()).optional(),
    /** Transition applied on resolve, by name (case-insensitive) or id. */
    resolveTransition: z.string().default('Done'),
    ...receiverCommon,
  })
  .strict();

export const servicenowReceiver = z
  .object({
    type: z.literal('servicenow'),
    /** Instance base URL, e.g. https://example.service-now.com. */
    instanceUrl: z.url(),
    username: z.string().min(1),
    password: secret(),
    assignmentGroup: z.string().optional(),
    callerId: z.string().optional(),
    category: z.string().optional(),
    /** `close_code` on resolve; must be one of the instance's choices. */
    closeCode: z.string().default('Solution provided'),
    ...receiverCommon,
  })
  .strict();

export const zendeskReceiver = z
  .object({
    type: z.literal('zendesk'),
    /** Account URL, e.g. https://example.zendesk.com. */
    url: z.url(),
    email: z.string().min(1),
    apiToken: secret(),
    groupId: z.number().int().optional(),
    tags: z.array(z.string()).default(['klaxon']),
    priority: z
      .record(severityLevels, z.enum(['urgent', 'high', 'normal', 'low']))
      .default({ critical: 'urgent', warning: 'high', info: 'normal' }),
    ...receiverCommon,
  })
  .strict();

export const victoropsReceiver = z
  .object({
    type: z.literal('victorops'),
    /** REST endpoint integration key (part of the URL, so a secret). */
    apiKey: secret(),
    routingKey: z.string().min(1),
    apiUrl: z.url().default('https://alert.victorops.com/integrations/generic/20131114/alert'),
    ...receiverCommon,
  })
  .strict();

export const datadogReceiver = z
  .object({
    type: z.literal('datadog'),
    apiKey: secret(),
    /** Datadog site (datadoghq.com, datadoghq.eu, us3.datadoghq.com, …); `apiUrl` overrides it. */
    site: z.string().default('datadoghq.com'),
    apiUrl: z.url().optional(),
    tags: z.array(z.string()).default([]),
    priority: z.enum(['normal', 'low']).default('normal'),
    ...receiverCommon,
  })
  .strict();

export const emailReceiver = z
  .object({
    type: z.literal('email'),
    to: z.array(z.string().min(3)).min(1),
    from: z.string().min(3),
    subjectPrefix: z.string().default('[Klaxon]'),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().positive().default(587),
        /** TLS from the first byte (port 465); otherwise STARTTLS when offered. */
        secure: z.boolean().default(false),
        requireTLS: z.boolean().default(false),
        username: z.string().optional(),
        password: secret().optional(),
      })
      .strict(),
    ...receiverCommon,
  })
  .strict();

export const googlechatReceiver = z
  .object({
    type: z.literal('googlechat'),
    /** Space webhook URL (carries key and token, so a secret). */
    url: secret(),
    ...receiverCommon,
  })
  .strict();

export const mattermostReceiver = z
  .object({
    type: z.literal('mattermost'),
    url: secret(),
    channel: z.string().optional(),
    username: z.string().optional(),
    iconUrl: z.url().optional(),
    ...receiverCommon,
  })
  .strict();

export const rocketchatReceiver = z
  .object({
    type: z.literal('rocketchat'),
    url: secret(),
    channel: z.string().optional(),
    alias: z.string().optional(),
    ...receiverCommon,
  })
  .strict();

export const receiverSchema = z.discriminatedUnion('type', [
  webhookReceiver,
  slackReceiver,
  teamsReceiver,
  discordReceiver,
  telegramReceiver,
  pagerdutyReceiver,
  opsgenieReceiver,
  jiraReceiver,
  servicenowReceiver,
  zendeskReceiver,
  victoropsReceiver,
  datadogReceiver,
  emailReceiver,
  googlechatReceiver,
  mattermostReceiver,
  rocketchatReceiver,
]);

export type ReceiverConfig = z.infer<typeof receiverSchema>;
export type ReceiverType = ReceiverConfig['type'];
export type ReceiverOf<T extends ReceiverType> = Extract<ReceiverConfig, { type: T }>;
