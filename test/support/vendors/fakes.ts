import type { FakeReply, Handler, RecordedRequest } from './fakeVendor';
import slackFx from '../../fixtures/vendors/slack.json';
import discordFx from '../../fixtures/vendors/discord.json';
import telegramFx from '../../fixtures/vendors/telegram.json';
import pagerdutyFx from '../../fixtures/vendors/pagerduty.json';
import opsgenieFx from '../../fixtures/vendors/opsgenie.json';
import jiraFx from '../../fixtures/vendors/jira.json';
import servicenowFx from '../../fixtures/vendors/servicenow.json';
import zendeskFx from '../../fixtures/vendors/zendesk.json';
import victoropsFx from '../../fixtures/vendors/victorops.json';
import datadogFx from '../../fixtures/vendors/datadog.json';
import googlechatFx from '../../fixtures/vendors/googlechat.json';

/**
 * Vendor behaviour for the fake servers: each handler checks what the real API checks (auth, required
 * fields, size limits) and answers with the vendor's documented success and error bodies
 * (test/fixtures/vendors/*.json).
 */

const json = (status: number, body: unknown, headers?: Record<string, string>): FakeReply => ({ status, body, headers });

function basic(req: RecordedRequest): [string, string] | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return undefined;
  const s = Buffer.from(h.slice(6), 'base64').toString('utf8');
  const i = s.indexOf(':');
  return [s.slice(0, i), s.slice(i + 1)];
}

/** Slack Web API: errors are HTTP 200 {"ok":false,"error":…}. */
export function slackApi(opts: { token: string; channels?: string[] }): Handler & { messages: Map<string, any>; replies: any[] } {
  let seq = 0;
  const messages = new Map<string, any>();
  const replies: any[] = [];
  const handler = ((req: RecordedRequest) => {
    if (req.headers.authorization !== `Bearer ${opts.token}`) return json(200, slackFx.responses.invalidAuth);
    const b = req.json();
    if (!(opts.channels ?? ['C123ABC456']).includes(b.channel)) return json(200, slackFx.responses.channelNotFound);
    if (req.path === '/api/chat.postMessage') {
      if (!b.text && !b.blocks) return json(200, { ok: false, error: 'no_text' });
      const ts = `1503435956.${String(++seq).padStart(6, '0')}`;
      if (b.thread_ts) {
        if (!messages.has(b.thread_ts)) return json(200, { ok: false, error: 'thread_not_found' });
        replies.push(b);
      } else messages.set(ts, b);
      return json(200, { ...slackFx.responses.posted, channel: b.channel, ts });
    }
    if (req.path === '/api/chat.update') {
      if (!messages.has(b.ts)) return json(200, { ok: false, error: 'message_not_found' });
      messages.set(b.ts, b);
      return json(200, { ...slackFx.responses.updated, channel: b.channel, ts: b.ts });
    }
    return json(404, 'unknown_method');
  }) as Handler & { messages: Map<string, any>; replies: any[] };
  handler.messages = messages;
  handler.replies = replies;
  return handler;
}

/** Slack incoming webhook: 200 "ok"; errors are HTTP status + plain-text code. */
export const slackWebhook: Handler = (req) => {
  const b = req.json();
  if (!b.text && !b.blocks) return { status: 400, body: 'no_text' };
  return { status: 200, body: 'ok' };
};

function discordEmbedErrors(e: any): string | undefined {
  const L = { title: 256, description: 4096, fieldName: 256, fieldValue: 1024, footer: 2048, total: 6000 };
  let total = 0;
  const len = (s: unknown) => (typeof s === 'string' ? s.length : 0);
  if (len(e.title) > L.title) return 'title';
  if (len(e.description) > L.description) return 'description';
  if (len(e.footer?.text) > L.footer) return 'footer';
  if ((e.fields ?? []).length > 25) return 'fields';
  for (const f of e.fields ?? []) {
    if (len(f.name) > L.fieldName || len(f.value) > L.fieldValue) return 'field';
    total += len(f.name) + len(f.value);
  }
  total += len(e.title) + len(e.description) + len(e.footer?.text) + len(e.author?.name);
  return total > L.total ? 'embed total' : undefined;
}

/** Discord webhook: POST /api/webhooks/{id}/{token}[?wait=true], PATCH …/messages/{id}. */
export function discord(opts: { id: string; token: string }): Handler & { messages: Map<string, any> } {
  let seq = 0;
  const messages = new Map<string, any>();
  const base = `/api/webhooks/${opts.id}/${opts.token}`;
  const handler = ((req: RecordedRequest) => {
    if (!req.path.startsWith(base)) return json(404, discordFx.responses.unknownWebhook);
    const b = req.json();
    if ((b.content ?? '').length > 2000 || (b.embeds ?? []).length > 10 || (b.embeds ?? []).some(discordEmbedErrors)) return json(400, discordFx.responses.invalidFormBody);
    if (req.method === 'POST' && req.path === base) {
      const id = String(1190000000000000000n + BigInt(++seq));
      messages.set(id, b);
      return req.query.get('wait') === 'true' ? json(200, { ...discordFx.responses.message, id, embeds: b.embeds }) : { status: 204 };
    }
    const m = /\/messages\/(\d+)$/.exec(req.path);
    if (req.method === 'PATCH' && m) {
      if (!messages.has(m[1])) return json(404, { message: 'Unknown Message', code: 10008 });
      messages.set(m[1], { ...messages.get(m[1]), ...b });
      return json(200, { ...discordFx.responses.message, id: m[1], embeds: b.embeds });
    }
    return json(405, { message: '405: Method Not Allowed', code: 0 });
  }) as Handler & { messages: Map<string, any> };
  handler.messages = messages;
  return handler;
}

/** Visible length of Telegram HTML: tags removed, entities count as one character. */
export function telegramVisibleLength(html: string): number {
  return html.replace(/<[^>]+>/g, '').replace(/&(lt|gt|amp|quot);/g, '_').length;
}

/** Telegram Bot API: POST /bot{token}/sendMessage. */
export function telegram(opts: { token: string; chatId: string }): Handler & { sent: any[] } {
  let seq = 41;
  const sent: any[] = [];
  const handler = ((req: RecordedRequest) => {
    if (req.path !== `/bot${opts.token}/sendMessage`) return json(401, telegramFx.responses.unauthorized);
    const b = req.json();
    if (String(b.chat_id) !== opts.chatId) return json(400, telegramFx.responses.chatNotFound);
    if (b.parse_mode !== 'HTML' || /<(?!\/?(b|i|a|code|pre)\b)/.test(b.text)) return json(400, { ok: false, error_code: 400, description: "Bad Request: can't parse entities" });
    if (telegramVisibleLength(b.text) > 4096) return json(400, telegramFx.responses.tooLong);
    if (b.reply_parameters && !sent.some((s) => s.message_id === b.reply_parameters.message_id) && !b.reply_parameters.allow_sending_without_reply)
      return json(400, { ok: false, error_code: 400, description: 'Bad Request: message to be replied not found' });
    const message_id = ++seq;
    sent.push({ ...b, message_id });
    return json(200, { ok: true, result: { ...telegramFx.responses.sent.result, message_id, chat: { id: Number(opts.chatId), type: 'supergroup' } } });
  }) as Handler & { sent: any[] };
  handler.sent = sent;
  return handler;
}

/** PagerDuty Events API v2: 202 accepted, 400 "invalid event" with errors[]. */
export const pagerduty: Handler = (req) => {
  if (req.path !== '/v2/enqueue' || req.method !== 'POST') return json(404, 'Not found');
  const b = req.json();
  const errors: string[] = [];
  if (typeof b.routing_key !== 'string' || b.routing_key.length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  if (!['trigger', 'acknowledge', 'resolve'].includes(b.event_action)) errors.push("'event_action' is invalid");
  if (b.event_action === 'trigger') {
    if (!b.payload?.summary) errors.push("'payload.summary' is missing or blank");
    if ((b.payload?.summary ?? '').length > 1024) errors.push("'payload.summary' is too long");
    if (!b.payload?.source) errors.push("'payload.source' is missing or blank");
    if (!['critical', 'error', 'warning', 'info'].includes(b.payload?.severity)) errors.push("'payload.severity' is invalid");
  } else if (!b.dedup_key) errors.push("'dedup_key' is missing");
  if (errors.length) return json(400, { ...pagerdutyFx.responses.invalid, errors });
  return json(202, { ...pagerdutyFx.responses.accepted, dedup_key: b.dedup_key });
};

/** Opsgenie Alert API: GenieKey auth, 202 "Request will be processed", 422 for semantic errors. */
export function opsgenie(opts: { apiKey: string }): Handler {
  return (req) => {
    if (req.headers.authorization !== `GenieKey ${opts.apiKey}`) return json(401, opsgenieFx.responses.unauthenticated);
    const b = req.json();
    if (req.path === '/v2/alerts' && req.method === 'POST') {
      if (!b.message) return json(422, opsgenieFx.responses.unprocessable);
      if (b.message.length > 130) return json(422, { ...opsgenieFx.responses.unprocessable, errors: { message: 'Message can not be longer than 130 characters.' } });
      return json(202, opsgenieFx.responses.accepted);
    }
    if (/^\/v2\/alerts\/[^/]+\/(acknowledge|close)$/.test(req.path) && req.method === 'POST') return json(202, opsgenieFx.responses.accepted);
    // Add Note: `note` is mandatory and at most 25,000 characters.
    if (/^\/v2\/alerts\/[^/]+\/notes$/.test(req.path) && req.method === 'POST') {
      if (typeof b.note !== 'string' || b.note === '') return json(422, { ...opsgenieFx.responses.unprocessable, errors: { note: 'Note can not be empty.' } });
      if (b.note.length > 25_000) return json(422, { ...opsgenieFx.responses.unprocessable, errors: { note: 'Note can not be longer than 25000 characters.' } });
      return json(202, opsgenieFx.responses.accepted);
    }
    return json(404, { message: 'Could not find handler', took: 0, requestId: 'x' });
  };
}

/** Jira REST v2/v3 with Basic email:token. */
export function jira(opts: { email: string; token: string; project: string }): Handler & { issues: Map<string, any> } {
  let seq = 23;
  const issues = new Map<string, any>();
  const handler = ((req: RecordedRequest) => {
    const cred = basic(req);
    if (!cred || cred[0] !== opts.email || cred[1] !== opts.token) return json(401, jiraFx.responses.unauthorized);
    const m = /^\/rest\/api\/(2|3)\/issue(?:\/([A-Z]+-\d+)(?:\/(comment|transitions))?)?$/.exec(req.path);
    if (!m) return json(404, { errorMessages: ['Not found'], errors: {} });
    const [, , key, sub] = m;
    if (!key && req.method === 'POST') {
      const f = req.json().fields;
      if (f?.project?.key !== opts.project) return json(400, jiraFx.responses.badRequest);
      if (!f.summary || /\n/.test(f.summary) || f.summary.length > 255) return json(400, { errorMessages: [], errors: { summary: 'The summary is invalid.' } });
      const issueKey = `${opts.project}-${++seq}`;
      issues.set(issueKey, { fields: f, comments: [], status: 'To Do' });
      return json(201, { id: String(10000 + seq), key: issueKey, self: `https://example.atlassian.net/rest/api/3/issue/${10000 + seq}` });
    }
    const issue = key ? issues.get(key) : undefined;
    if (!issue) return json(404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
    if (sub === 'comment' && req.method === 'POST') {
      issue.comments.push(req.json().body);
      return json(201, { id: String(issue.comments.length), body: req.json().body });
    }
    if (sub === 'transitions' && req.method === 'GET') return json(200, jiraFx.responses.transitions);
    if (sub === 'transitions' && req.method === 'POST') {
      const t = jiraFx.responses.transitions.transitions.find((x) => x.id === req.json().transition?.id);
      if (!t) return json(400, { errorMessages: ["Transition id '" + req.json().transition?.id + "' is not valid for this issue."], errors: {} });
      issue.status = t.to.name;
      return { status: 204 };
    }
    return json(405, { errorMessages: ['Method not allowed'], errors: {} });
  }) as Handler & { issues: Map<string, any> };
  handler.issues = issues;
  return handler;
}

/** ServiceNow Table API on incident with Basic auth. */
export function servicenow(opts: { user: string; password: string }): Handler & { records: Map<string, any> } {
  let seq = 0;
  const records = new Map<string, any>();
  const handler = ((req: RecordedRequest) => {
    const cred = basic(req);
    if (!cred || cred[0] !== opts.user || cred[1] !== opts.password) return json(401, servicenowFx.responses.unauthenticated);
    if (req.path === '/api/now/table/incident' && req.method === 'POST') {
      const sys_id = `e2b8b3a7db3f2010a3c5e1a5f39619a${++seq}`;
      const rec = { ...req.json(), sys_id, number: `INC001000${seq}`, state: '1' };
      records.set(sys_id, rec);
      return json(201, { result: rec });
    }
    const m = /^\/api\/now\/table\/incident\/(\w+)$/.exec(req.path);
    if (m && req.method === 'PATCH') {
      const rec = records.get(m[1]);
      if (!rec) return json(404, { error: { message: 'No Record found', detail: 'Record doesn\'t exist or ACL restricts the record retrieval' }, status: 'failure' });
      const patch = req.json();
      if (patch.state === '6' && (!patch.close_code || !patch.close_notes)) return json(403, { error: { message: 'Operation Failed', detail: 'Data Policy Exception: Resolution code, Resolution notes are mandatory' }, status: 'failure' });
      Object.assign(rec, patch);
      return json(200, { result: rec });
    }
    return json(400, servicenowFx.responses.invalid);
  }) as Handler & { records: Map<string, any> };
  handler.records = records;
  return handler;
}

/** Zendesk tickets with Basic "{email}/token:{token}". */
export function zendesk(opts: { email: string; token: string }): Handler & { tickets: Map<number, any> } {
  let seq = 35435;
  const tickets = new Map<number, any>();
  const handler = ((req: RecordedRequest) => {
    const cred = basic(req);
    if (!cred || cred[0] !== `${opts.email}/token` || cred[1] !== opts.token) return json(401, zendeskFx.responses.unauthenticated);
    if (req.path === '/api/v2/tickets.json' && req.method === 'POST') {
      const t = req.json().ticket;
      if (!t?.subject || !t?.comment?.body) return json(422, zendeskFx.responses.recordInvalid);
      const id = ++seq;
      tickets.set(id, { ...t, id, status: 'new', comments: [t.comment] });
      return json(201, { ticket: { ...zendeskFx.responses.created.ticket, id, subject: t.subject } });
    }
    const m = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(req.path);
    if (m && req.method === 'PUT') {
      const t = tickets.get(Number(m[1]));
      if (!t) return json(404, { error: 'RecordNotFound', description: 'Not found' });
      const u = req.json().ticket;
      if (u.comment) t.comments.push(u.comment);
      if (u.status) t.status = u.status;
      return json(200, { ticket: { id: t.id, status: t.status } });
    }
    return json(404, { error: 'InvalidEndpoint', description: 'Not found' });
  }) as Handler & { tickets: Map<number, any> };
  handler.tickets = tickets;
  return handler;
}

/** Splunk On-Call REST endpoint. */
export function victorops(opts: { apiKey: string; routingKey: string }): Handler {
  return (req) => {
    if (req.path !== `/integrations/generic/20131114/alert/${opts.apiKey}/${opts.routingKey}`) return json(404, { result: 'failure', message: 'Invalid API key' });
    const b = req.json();
    if (!['CRITICAL', 'WARNING', 'INFO', 'ACKNOWLEDGEMENT', 'RECOVERY'].includes(b.message_type)) return json(400, victoropsFx.responses.failure);
    return json(200, { ...victoropsFx.responses.success, entity_id: b.entity_id });
  };
}

/** Datadog Events API v1 with DD-API-KEY. */
export function datadog(opts: { apiKey: string }): Handler {
  return (req) => {
    if (req.headers['dd-api-key'] !== opts.apiKey) return json(403, datadogFx.responses.forbidden);
    if (req.path !== '/api/v1/events' || req.method !== 'POST') return json(404, { errors: ['Not found'] });
    const b = req.json();
    if (!b.title || !b.text) return json(400, { errors: ['Event title and text are required'] });
    if (b.text.length > 4000 || (b.aggregation_key ?? '').length > 100) return json(400, { errors: ['Event text or aggregation_key too long'] });
    return json(202, datadogFx.responses.accepted);
  };
}

/** Google Chat space webhook: POST /v1/spaces/{space}/messages?key=…&token=…. */
export function googlechat(opts: { key: string; token: string }): Handler {
  return (req) => {
    if (req.query.get('key') !== opts.key || req.query.get('token') !== opts.token) return json(401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
    const b = req.json();
    if (!b.text && !b.cardsV2) return json(400, googlechatFx.responses.invalidArgument);
    return json(200, { ...googlechatFx.responses.created, thread: { name: `spaces/AAAA/threads/${b.thread?.threadKey ?? 'new'}`, threadKey: b.thread?.threadKey } });
  };
}
