import type { FakeReply, Handler, RecordedRequest } from './fakeVendor';
import twilioFx from '../../fixtures/vendors/twilio.json';
import ntfyFx from '../../fixtures/vendors/ntfy.json';
import pushoverFx from '../../fixtures/vendors/pushover.json';

/**
 * Fakes of the phone and push vendors (Twilio, ntfy, Pushover): each checks what the real API
 * checks (auth, content type, required parameters, limits) and answers with the documented bodies
 * in test/fixtures/vendors/{twilio,ntfy,pushover}.json.
 */

const json = (status: number, body: unknown, headers?: Record<string, string>): FakeReply => ({ status, body, headers });
const E164 = /^\+[1-9]\d{1,14}$/;

export function form(req: RecordedRequest): URLSearchParams {
  return new URLSearchParams(req.body);
}

/** Twilio REST API 2010-04-01: POST /2010-04-01/Accounts/{sid}/Messages.json and Calls.json. */
export function twilio(opts: { accountSid: string; authToken: string }): Handler & { messages: URLSearchParams[]; calls: URLSearchParams[] } {
  let seq = 0;
  const messages: URLSearchParams[] = [];
  const calls: URLSearchParams[] = [];
  const handler = ((req: RecordedRequest) => {
    const auth = 'Basic ' + Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64');
    if (req.headers.authorization !== auth) return json(401, twilioFx.responses.authenticate);
    const m = new RegExp(`^/2010-04-01/Accounts/${opts.accountSid}/(Messages|Calls)\\.json$`).exec(req.path);
    if (req.method !== 'POST' || !m) return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return json(400, { code: 20001, message: 'Unsupported content type', status: 400 });
    const f = form(req);
    if (!E164.test(f.get('To') ?? '')) return json(400, { ...twilioFx.responses.invalidTo, message: `Invalid 'To' Phone Number: ${f.get('To') ?? ''}` });
    if (!f.get('From')) return json(400, { code: 21603, message: "A 'From' phone number is required.", status: 400 });
    const sid = (p: string) => p + String(++seq).padStart(32, '0');
    if (m[1] === 'Messages') {
      const body = f.get('Body') ?? '';
      if (!body) return json(400, { code: 21602, message: 'Message body is required.', status: 400 });
      if (body.length > 1600) return json(400, twilioFx.responses.bodyTooLong);
      messages.push(f);
      return json(201, { ...twilioFx.responses.message, sid: sid('SM'), to: f.get('To'), from: f.get('From'), body });
    }
    const twiml = f.get('Twiml');
    if (!twiml && !f.get('Url')) return json(400, twilioFx.responses.missingCallInstructions);
    if ((twiml ?? '').length > 4000) return json(400, { code: 13002, message: 'Twiml exceeds the 4000 character limit', status: 400 });
    calls.push(f);
    return json(201, { ...twilioFx.responses.call, sid: sid('CA'), to: f.get('To'), from: f.get('From') });
  }) as Handler & { messages: URLSearchParams[]; calls: URLSearchParams[] };
  handler.messages = messages;
  handler.calls = calls;
  return handler;
}

/** ntfy: POST /<topic> with the message as body and the rest in headers. */
export function ntfy(opts: { topic: string | string[]; token?: string; basic?: [string, string] }): Handler & { published: RecordedRequest[] } {
  const topics = ([] as string[]).concat(opts.topic);
  let seq = 0;
  const published: RecordedRequest[] = [];
  const handler = ((req: RecordedRequest) => {
    const want = opts.token ? `Bearer ${opts.token}` : opts.basic ? 'Basic ' + Buffer.from(opts.basic.join(':')).toString('base64') : undefined;
    if (want && req.headers.authorization !== want) return json(req.headers.authorization ? 403 : 401, req.headers.authorization ? ntfyFx.responses.forbidden : ntfyFx.responses.unauthorized);
    if (req.method !== 'POST' && req.method !== 'PUT') return json(405, { code: 40501, http: 405, error: 'method not allowed' });
    const topic = req.path.slice(1);
    if (!topics.includes(topic)) return json(404, { code: 40401, http: 404, error: 'page not found' });
    if (Buffer.byteLength(req.body) > 4096) return json(413, ntfyFx.responses.tooLarge);
    const p = Number(req.headers.priority ?? 3);
    if (!(p >= 1 && p <= 5)) return json(400, { code: 40007, http: 400, error: 'invalid request: priority invalid' });
    published.push(req);
    const id = `msg${String(++seq).padStart(7, '0')}`;
    return json(200, { ...ntfyFx.responses.published, id, topic, priority: p, title: req.headers.title, message: req.body });
  }) as Handler & { published: RecordedRequest[] };
  handler.published = published;
  return handler;
}

/** Pushover: POST /1/messages.json, GET /1/receipts/{r}.json, POST /1/receipts/{r}/cancel.json. */
export function pushover(opts: { token: string; user: string | string[] }): Handler & { sent: URLSearchParams[]; cancelled: string[]; acknowledged: Set<string>; receiptOf: Map<URLSearchParams, string> } {
  let seq = 0;
  const sent: URLSearchParams[] = [];
  const cancelled: string[] = [];
  const receipts = new Set<string>();
  const acknowledged = new Set<string>();
  const receiptOf = new Map<URLSearchParams, string>();
  const handler = ((req: RecordedRequest) => {
    const f = req.method === 'GET' ? req.query : form(req);
    if (f.get('token') !== opts.token) return json(400, pushoverFx.responses.invalidToken);
    const r = /^\/1\/receipts\/([A-Za-z0-9]+)(\/cancel)?\.json$/.exec(req.path);
    if (r) {
      if (!receipts.has(r[1])) return json(400, pushoverFx.responses.receiptNotFound);
      if (r[2] && req.method === 'POST') {
        cancelled.push(r[1]);
        return json(200, pushoverFx.responses.cancelled);
      }
      if (req.method === 'GET') return json(200, acknowledged.has(r[1]) ? pushoverFx.responses.receipt : pushoverFx.responses.receiptUnacknowledged);
    }
    if (req.path !== '/1/messages.json' || req.method !== 'POST') return json(404, { status: 0, errors: ['not found'] });
    if (!([] as string[]).concat(opts.user).includes(f.get('user') ?? '')) return json(400, pushoverFx.responses.invalidUser);
    const message = f.get('message') ?? '';
    if (!message) return json(400, { message: 'cannot be blank', errors: ['message cannot be blank'], status: 0 });
    if ([...message].length > 1024 || [...(f.get('title') ?? '')].length > 250 || (f.get('url') ?? '').length > 512) return json(400, { errors: ['message, title or url too long'], status: 0 });
    if (f.get('priority') === '2') {
      if (!f.get('retry')) return json(400, { retry: 'must be supplied with priority=2', errors: ['retry must be supplied with priority=2'], status: 0 });
      if (!f.get('expire')) return json(400, pushoverFx.responses.expireMissing);
      if (Number(f.get('retry')) < 30 || Number(f.get('expire')) > 10800) return json(400, { errors: ['retry or expire out of range'], status: 0 });
    }
    sent.push(f);
    if (f.get('priority') !== '2') return json(200, pushoverFx.responses.sent);
    const receipt = `r${String(++seq).padStart(29, '0')}`;
    receipts.add(receipt);
    receiptOf.set(f, receipt);
    return json(200, { ...pushoverFx.responses.emergency, receipt });
  }) as Handler & { sent: URLSearchParams[]; cancelled: string[]; acknowledged: Set<string>; receiptOf: Map<URLSearchParams, string> };
  handler.sent = sent;
  handler.receiptOf = receiptOf;
  handler.cancelled = cancelled;
  handler.acknowledged = acknowledged;
  return handler;
}
