import { z } from 'zod';
import { secret } from './secret';
import { duration } from './durationSchema';
import { MAX_RECEIVER_TIMEOUT_MS } from '../delivery/policy';

/**
 * Receiver (channel target) schemas, one entry per channel type. Each notifier in src/notifiers/
 * handles exactly one `type` here; the union below is what a tenant's `receivers:` map accepts.
 * Every vendor base URL is configurable (default: the vendor's real endpoint) so tests and
 * self-hosted/regional installations can point elsewhere.
 */

/** Settings every receiver shares: delivery timeout, rate limit, circuit breaker, fallback. */
export const receiverCommon = {
  /** Per-request timeout; at most 30s, so one request never outlives the lease that guards its key. */
  timeout: duration()
    .refine((ms) => ms > 0 && ms <= MAX_RECEIVER_TIMEOUT_MS, `must be more than 0 and at most ${MAX_RECEIVER_TIMEOUT_MS / 1000}s`)
    .prefault('10s')
    .describe('Per-request timeout, at most 30s (a duration: `10s`).'),
  rateLimit: z.object({ per: z.number().int().positive().describe('Messages per window.'), every: duration().describe('The window.') }).strict().optional().describe('Token bucket: at most `rateLimit.per` messages per `rateLimit.every`; vendor default when absent.'),
  /** Consecutive failures that open the circuit, and how long it stays open before one trial. */
  circuitBreaker: z
    .object({
      failures: z.number().int().positive().default(5).describe('Consecutive failures that open the circuit.'),
      cooldown: duration().prefault('60s').describe('How long it stays open.'),
    })
    .strict()
    .optional()
    .describe('Consecutive failures that open the circuit, and how long it stays open before one trial delivery.'),
  fallback: z.string().optional().describe('Receiver to use while this one\'s circuit breaker is open.'),
};

const severityLevels = z.enum(['info', 'warning', 'critical']);

export const webhookReceiver = z
  .object({
    type: z.literal('webhook'),
    url: secret().describe('The endpoint Klaxon POSTs to (the full URL; a secret, as such URLs often carry a token).'),
    secret: secret().optional().describe('HMAC-SHA256 key; when set, requests carry `X-Klaxon-Signature: sha256=<hex>`.'),
    format: z.enum(['klaxon', 'alertmanager']).default('klaxon').describe('`klaxon` (default): Klaxon\'s incident JSON; `alertmanager`: Alertmanager\'s webhook body.'),
    headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
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
    webhookUrl: secret().optional().describe('Incoming webhook URL, `https://hooks.slack.com/services/T…/B…/…` (cannot thread or update). Either this, or `token` + `channel`.'),
    token: secret().optional().describe('Bot token (`xoxb-…`) with the chat:write scope.'),
    channel: z.string().min(1).optional().describe('Channel ID (C…) or name, for the Web API.'),
    apiUrl: z.url().default('https://slack.com/api').describe('Web API base URL; the method is appended (`/chat.postMessage`, `/chat.update`).'),
    updates: z.enum(['thread', 'update', 'both']).default('both').describe('How ack, resolve and partial-resolve updates appear (Web API only): reply in the thread, edit the original, or both.'),
    buttons: z.boolean().default(true).describe('Acknowledge / Resolve / Snooze buttons (need the lead\'s interactivity route configured in Slack).'),
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
    url: secret().describe('The Workflows (Power Automate) "When a Teams webhook request is received" URL, or a legacy Office 365 connector URL.'),
    format: z.enum(['adaptive', 'messagecard']).default('adaptive').describe('`adaptive` (Workflows; default) or `messagecard` (legacy Office 365 connector).'),
    ...receiverCommon,
  })
  .strict();

export const discordReceiver = z
  .object({
    type: z.literal('discord'),
    url: secret().describe('`https://discord.com/api/webhooks/{id}/{token}`; the token makes the whole URL a secret.'),
    username: z.string().max(80).optional(),
    avatarUrl: z.url().optional(),
    ...receiverCommon,
  })
  .strict();

export const telegramReceiver = z
  .object({
    type: z.literal('telegram'),
    botToken: secret().describe('Bot token from @BotFather (`123456:ABC-…`).'),
    chatId: z.union([z.string().min(1), z.number().int()]).transform(String).describe('Chat id (e.g. -1001234567890) or @channelusername.'),
    messageThreadId: z.number().int().optional().describe('Forum topic to post in.'),
    apiUrl: z.url().default('https://api.telegram.org').describe('Bot API base URL; `/bot<token>/sendMessage` is appended.'),
    disableNotification: z.boolean().default(false),
    ...receiverCommon,
  })
  .strict();

export const pagerdutyReceiver = z
  .object({
    type: z.literal('pagerduty'),
    routingKey: secret().describe('Events API v2 integration key (32 characters).'),
    apiUrl: z.url().default('https://events.pagerduty.com/v2/enqueue').describe('The full Events API v2 enqueue URL (not a base URL).'),
    source: z.string().optional().describe('`payload.source`; defaults to the incident\'s service.'),
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
    apiKey: secret().describe('API integration key (sent as `Authorization: GenieKey …`).'),
    region: z.enum(['us', 'eu']).default('us').describe('`us` → api.opsgenie.com, `eu` → api.eu.opsgenie.com; `apiUrl` overrides both.'),
    apiUrl: z.url().optional().describe('API base URL, e.g. `https://api.opsgenie.com`; `/v2/alerts…` is appended.'),
    responders: z.array(opsgenieResponder).default([]),
    tags: z.array(z.string().max(50)).max(20).default([]),
    priority: z.record(severityLevels, z.enum(['P1', 'P2', 'P3', 'P4', 'P5'])).default({ critical: 'P1', warning: 'P3', info: 'P5' }).describe('Klaxon severity → Opsgenie priority.'),
    entity: z.string().max(512).optional(),
    ...receiverCommon,
  })
  .strict();

export const jiraReceiver = z
  .object({
    type: z.literal('jira'),
    url: z.url().describe('Site base URL, e.g. https://example.atlassian.net.'),
    email: z.string().min(1).describe('Account email the API token belongs to.'),
    apiToken: secret().describe('Atlassian API token (basic auth with `email`).'),
    apiVersion: z.enum(['2', '3']).default('3').describe('REST v3 writes Atlassian Document Format; v2 writes plain text (Jira Server/Data Center).'),
    project: z.string().min(1).describe('Project key, e.g. OPS.'),
    issueType: z.string().default('Bug'),
    labels: z.array(z.string().regex(/^\S+$/, 'Jira labels cannot contain spaces')).default(['klaxon']),
    priority: z.record(severityLevels, z.string()).optional().describe('Jira priority name per Klaxon severity (omit to use the project\'s default).'),
    resolveTransition: z.string().default('Done').describe('Transition applied on resolve, by name (case-insensitive) or id.'),
    ...receiverCommon,
  })
  .strict();

export const servicenowReceiver = z
  .object({
    type: z.literal('servicenow'),
    instanceUrl: z.url().describe('Instance base URL, e.g. https://example.service-now.com.'),
    username: z.string().min(1),
    password: secret().describe('Password of `username` (basic auth).'),
    assignmentGroup: z.string().optional(),
    callerId: z.string().optional(),
    category: z.string().optional(),
    closeCode: z.string().default('Solution provided').describe('`close_code` on resolve; must be one of the instance\'s choices.'),
    ...receiverCommon,
  })
  .strict();

export const zendeskReceiver = z
  .object({
    type: z.literal('zendesk'),
    url: z.url().describe('Account URL, e.g. https://example.zendesk.com.'),
    email: z.string().min(1),
    apiToken: secret().describe('API token (auth as `email/token`).'),
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
    apiKey: secret().describe('REST endpoint integration key (part of the URL, so a secret).'),
    routingKey: z.string().min(1),
    apiUrl: z.url().default('https://alert.victorops.com/integrations/generic/20131114/alert').describe('REST endpoint base; `/<apiKey>/<routingKey>` is appended.'),
    ...receiverCommon,
  })
  .strict();

export const datadogReceiver = z
  .object({
    type: z.literal('datadog'),
    apiKey: secret().describe('Datadog API key (`DD-API-KEY` header).'),
    site: z.string().default('datadoghq.com').describe('Datadog site (datadoghq.com, datadoghq.eu, us3.datadoghq.com, …); `apiUrl` overrides it.'),
    apiUrl: z.url().optional().describe('API base URL, e.g. `https://api.datadoghq.eu`; `/api/v1/events` is appended.'),
    tags: z.array(z.string()).default([]),
    priority: z.enum(['normal', 'low']).default('normal'),
    ...receiverCommon,
  })
  .strict();

export const emailReceiver = z
  .object({
    type: z.literal('email'),
    to: z.array(z.string().min(3)).min(1).describe('Recipients (the paged person\'s address is used instead when a user is paged).'),
    from: z.string().min(3),
    subjectPrefix: z.string().default('[Klaxon]'),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().positive().default(587),
        secure: z.boolean().default(false).describe('TLS from the first byte (port 465); otherwise STARTTLS when offered.'),
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
    url: secret().describe('Space webhook URL (carries key and token, so a secret).'),
    ...receiverCommon,
  })
  .strict();

export const mattermostReceiver = z
  .object({
    type: z.literal('mattermost'),
    url: secret().describe('Incoming webhook URL, `https://<host>/hooks/<id>`.'),
    channel: z.string().optional(),
    username: z.string().optional(),
    iconUrl: z.url().optional(),
    ...receiverCommon,
  })
  .strict();

export const rocketchatReceiver = z
  .object({
    type: z.literal('rocketchat'),
    url: secret().describe('Incoming webhook integration URL, `https://<host>/hooks/<id>/<token>`.'),
    channel: z.string().optional(),
    alias: z.string().optional(),
    ...receiverCommon,
  })
  .strict();

/** E.164, as Twilio and the users' `phone` field write numbers. */
const e164 = () => z.string().regex(/^\+[1-9]\d{1,14}$/, 'use E.164, e.g. +14155550100').meta({ examples: ['+14155550100'] });

/** Twilio account SID: `AC` + 32 hex digits (it names the account in every API path). */
const twilioAccount = {
  accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'a Twilio Account SID is AC followed by 32 hex digits').meta({ examples: ['AC0123456789abcdef0123456789abcdef'] }).describe('Account SID (`AC…`); with `authToken` it is the basic-auth user of every API request.'),
  authToken: secret().describe('Auth Token: basic-auth password of API requests, and the key that verifies `X-Twilio-Signature` on inbound webhooks.'),
  apiUrl: z.url().default('https://api.twilio.com').describe('REST API base URL; `/2010-04-01/Accounts/<accountSid>/…` is appended.'),
};

/**
 * Twilio SMS (Messages API): one SMS per page to the paged person's `phone`, or to `to` when the
 * receiver is named in a step; acknowledge and resolve are new SMS (SMS has no thread). A reply
 * "ack <code>" acknowledges (point the number's "A message comes in" webhook at
 * `<publicUrl>/integrations/twilio/sms`).
 */
export const twilioSmsReceiver = z
  .object({
    type: z.literal('twilio-sms'),
    ...twilioAccount,
    from: e164().describe('Twilio number the SMS comes from (and replies go to).'),
    to: z.array(e164()).default([]).describe('Numbers paged when the receiver itself is a step\'s target (a paged user\'s own `phone` is used instead).'),
    ...receiverCommon,
  })
  .strict();

/**
 * Twilio voice (Calls API with inline TwiML): the call reads the incident's title and "press 1 to
 * acknowledge" (needs `server.linkSigningKey`); ack and resolve place no call.
 */
export const twilioVoiceReceiver = z
  .object({
    type: z.literal('twilio-voice'),
    ...twilioAccount,
    from: e164().describe('Twilio number (or verified caller ID) the call comes from.'),
    to: z.array(e164()).default([]).describe('Numbers called when the receiver itself is a step\'s target (a paged user\'s own `phone` is used instead).'),
    voice: z.string().default('alice').describe('`<Say voice>`: `alice`, `man`, `woman`, or a Polly/Google voice name.'),
    language: z.string().default('en-US').describe('`<Say language>`.'),
    ...receiverCommon,
  })
  .strict();


/**
 * ntfy (self-hostable push): one notification per message, priority by severity, an Acknowledge
 * button that POSTs the signed single-use ack link (needs `server.linkSigningKey`).
 */
export const ntfyReceiver = z
  .object({
    type: z.literal('ntfy'),
    url: z.url().default('https://ntfy.sh').describe('Server base URL, e.g. https://ntfy.example.com; `/<topic>` is appended.'),
    topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, 'an ntfy topic is 1-64 letters, digits, - or _').describe('Topic to publish to (on ntfy.sh the topic name is the password: pick one nobody can guess).'),
    token: secret().optional().describe('Access token (`tk_…`), sent as `Authorization: Bearer`. Or `username` + `password`.'),
    username: z.string().optional().describe('Basic-auth user (with `password`).'),
    password: secret().optional(),
    priority: z.partialRecord(severityLevels, z.number().int().min(1).max(5)).default({ critical: 5, warning: 4, info: 3 }).describe('Klaxon severity → ntfy priority (5 max/urgent … 1 min; unset severities: critical 5, warning 4, info 3); acknowledge and resolve are sent at 2.'),
    tags: z.array(z.string().min(1)).default([]).describe('Extra tags (emoji short codes show as icons).'),
    ...receiverCommon,
  })
  .strict()
  .refine((r) => !(r.token && (r.username || r.password)) && !r.username === !r.password, { message: 'set token, or username and password, or neither' });

/**
 * Pushover: critical pages are emergency priority (repeated every `retry` until acknowledged or
 * `expire`), with a callback to Klaxon: acknowledging in the app acknowledges the incident.
 */
export const pushoverReceiver = z
  .object({
    type: z.literal('pushover'),
    token: secret().describe('Application API token.'),
    user: z.string().regex(/^[A-Za-z0-9]{30}$/, 'a Pushover user or group key is 30 letters and digits').meta({ examples: ['uQiRzpo4DXghDmr9QzzfQu27cmVRsG'] }).describe('User or group key to notify.'),
    device: z.string().optional().describe('Only these devices (comma-separated names).'),
    priority: z.partialRecord(severityLevels, z.number().int().min(-2).max(2)).default({ critical: 2, warning: 1, info: 0 }).describe('Klaxon severity → Pushover priority (2 emergency, 1 high, 0 normal, -1 quiet, -2 silent; unset severities: critical 2, warning 1, info 0).'),
    retry: duration().refine((ms) => ms >= 30_000, 'at least 30s (Pushover\'s minimum)').prefault('60s').describe('Emergency priority: repeat this often until acknowledged (at least 30s).'),
    expire: duration().refine((ms) => ms > 0 && ms <= 10_800_000, 'at most 3h (Pushover\'s maximum)').prefault('1h').describe('Emergency priority: stop repeating after this long (at most 3h).'),
    sound: z.string().optional(),
    apiUrl: z.url().default('https://api.pushover.net').describe('API base URL; `/1/messages.json` is appended.'),
    ...receiverCommon,
  })
  .strict();

/** Splunk HTTP Event Collector: one event per incident change. */
export const splunkReceiver = z
  .object({
    type: z.literal('splunk'),
    url: z.url().describe('HEC base URL, e.g. https://splunk.example.com:8088 (Splunk Cloud: https://http-inputs-<stack>.splunkcloud.com); `/services/collector/event` is appended.'),
    token: secret().describe('HEC token (sent as `Authorization: Splunk <token>`).'),
    index: z.string().optional().describe('Index to write to (the token\'s default index when unset; must be one the token may write).'),
    sourcetype: z.string().default('klaxon:incident'),
    source: z.string().default('klaxon'),
    host: z.string().optional(),
    ...receiverCommon,
  })
  .strict();

/** New Relic Event API: a `KlaxonIncident` custom event per incident change. */
export const newrelicReceiver = z
  .object({
    type: z.literal('newrelic'),
    accountId: z.union([z.string().regex(/^\d+$/, 'a New Relic account id is a number').meta({ examples: ['1234567'] }), z.number().int().positive()]).transform(String).describe('Account id (in the URL).'),
    apiKey: secret().describe('License key (INGEST - LICENSE), sent as `Api-Key`.'),
    region: z.enum(['us', 'eu']).default('us').describe('`us` → insights-collector.newrelic.com, `eu` → insights-collector.eu01.nr-data.net; `apiUrl` overrides both.'),
    apiUrl: z.url().optional().describe('Collector base URL; `/v1/accounts/<accountId>/events` is appended.'),
    eventType: z.string().regex(/^[A-Za-z_:][A-Za-z0-9_:]{0,254}$/, 'an event type is letters, digits, _ and : (at most 255)').default('KlaxonIncident'),
    gzip: z.boolean().default(false).describe('Send the body gzip-compressed (`Content-Encoding: gzip`).'),
    ...receiverCommon,
  })
  .strict();

/** xMatters: a Flow's HTTP trigger (inbound integration) gets the incident's properties; ack and resolve are updates to it. */
export const xmattersReceiver = z
  .object({
    type: z.literal('xmatters'),
    url: secret().describe('The HTTP trigger URL, `https://<company>.xmatters.com/api/integration/1/functions/<id>/triggers?apiKey=…` (carries its key, so a secret).'),
    username: z.string().optional().describe('Basic auth (a trigger set to "Basic Authentication" instead of URL authentication), with `password`.'),
    password: secret().optional(),
    ...receiverCommon,
  })
  .strict()
  .refine((r) => !r.username === !r.password, { message: 'set username and password together' });

/** incident.io: its Alertmanager alert source (HTTP), fed Alertmanager's webhook body. */
export const incidentioReceiver = z
  .object({
    type: z.literal('incidentio'),
    alertSourceConfigId: z.string().regex(/^[0-9A-Z]{26}$/, 'the alert source config id is a 26-character ULID (01H…)').meta({ examples: ['01GW2G3V0S59R238FAHPDS1R66'] }).describe('The alert source\'s config id (the last part of its URL).'),
    token: secret().describe('The alert source\'s secret token (sent as `Authorization: Bearer`).'),
    apiUrl: z.url().default('https://api.incident.io').describe('API base; `/v2/alert_events/alertmanager/<alertSourceConfigId>` is appended.'),
    ...receiverCommon,
  })
  .strict();

/** Azure Event Grid: publish to a custom topic in the CloudEvents 1.0 schema. */
export const eventgridReceiver = z
  .object({
    type: z.literal('eventgrid'),
    topicEndpoint: z.url().describe('The topic endpoint, e.g. https://klaxon.westeurope-1.eventgrid.azure.net/api/events (the topic must use the CloudEvents v1.0 input schema).'),
    key: secret().describe('Topic access key (sent as `aeg-sas-key`).'),
    source: z.string().optional().describe('CloudEvents `source`; default `/klaxon/<tenant>`.'),
    ...receiverCommon,
  })
  .strict();

/** GCP Pub/Sub: publish one message per incident change, with attributes; a service account signs the request. */
export const pubsubReceiver = z
  .object({
    type: z.literal('pubsub'),
    project: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'a project id is 6-30 lower-case letters, digits or -').meta({ examples: ['acme-prod'] }),
    topic: z.string().regex(/^[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$/, 'a topic id starts with a letter, 3-255 characters').meta({ examples: ['klaxon-incidents'] }),
    credentials: secret().describe('The service account\'s JSON key (`${GCP_KEY}`, or `GCP_KEY_FILE` pointing at the .json file); needs roles/pubsub.publisher on the topic.'),
    orderingKey: z.boolean().default(false).describe('Set the incident id as `orderingKey` (needs a subscription with message ordering).'),
    apiUrl: z.url().default('https://pubsub.googleapis.com').describe('API base URL; `/v1/projects/<project>/topics/<topic>:publish` is appended.'),
    ...receiverCommon,
  })
  .strict();

/**
 * An SNS topic ARN, `arn:<partition>:sns:<region>:<account>:<name>`; a FIFO topic's name ends in
 * `.fifo` ("up to 256 characters … uppercase and lowercase ASCII letters, numbers, underscores, and
 * hyphens", FIFO names end with .fifo: https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html).
 */
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:(?:[A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo)$/;

/** The region a topic lives in: Publish must go to that region's endpoint, so the ARN says it. */
export function snsTopicRegion(arn: string): string | undefined {
  return SNS_TOPIC_ARN.exec(arn)?.[1];
}

/** AWS SNS: Publish one message per incident change, with message attributes; SigV4 by the AWS SDK. */
export const snsReceiver = z
  .object({
    type: z.literal('sns'),
    topicArn: z.string().regex(SNS_TOPIC_ARN, 'an SNS topic ARN is arn:aws:sns:<region>:<12-digit account>:<name> (a FIFO topic\'s name ends in .fifo)').meta({ examples: ['arn:aws:sns:eu-west-1:123456789012:klaxon-incidents'] }).describe('The topic to publish to; its region is the one in the ARN. A `.fifo` topic gets MessageGroupId (the incident) and MessageDeduplicationId (the delivery\'s idempotency key).'),
    accessKeyId: secret().optional().describe('Access key id (`AKIA…`), with `secretAccessKey`. Both unset: the AWS SDK\'s default credential chain (AWS_* env vars, shared config/SSO, web identity, ECS/EC2 role).'),
    secretAccessKey: secret().optional().describe('Secret access key, with `accessKeyId`.'),
    sessionToken: secret().optional().describe('Session token, for temporary credentials (`ASIA…` keys).'),
    endpoint: z.url().optional().describe('API endpoint instead of the region\'s (a VPC endpoint, LocalStack or moto).'),
    format: z.enum(['json', 'text']).default('json').describe('`json` (default): the incident change as a JSON object (for SQS, Lambda, HTTPS subscribers); `text`: the rendered title and text (for e-mail and SMS subscribers).'),
    ...receiverCommon,
  })
  .strict()
  .refine((r) => !r.accessKeyId === !r.secretAccessKey, { message: 'set accessKeyId and secretAccessKey together (or neither, for the default credential chain)', path: ['secretAccessKey'] })
  .refine((r) => !r.sessionToken || !!r.accessKeyId, { message: 'sessionToken needs accessKeyId and secretAccessKey', path: ['sessionToken'] });

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
  twilioSmsReceiver,
  twilioVoiceReceiver,
  ntfyReceiver,
  pushoverReceiver,
  splunkReceiver,
  newrelicReceiver,
  xmattersReceiver,
  incidentioReceiver,
  eventgridReceiver,
  pubsubReceiver,
  snsReceiver,
]);

export type ReceiverConfig = z.infer<typeof receiverSchema>;
export type ReceiverType = ReceiverConfig['type'];
export type ReceiverOf<T extends ReceiverType> = Extract<ReceiverConfig, { type: T }>;
