import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ReceiverOf } from '../config/receivers';
import { DeliveryError } from './errors';
import { basicAuth, type HttpResponse } from './http';
import type { NotificationMessage, NotifierContext } from './types';

/**
 * What the Twilio SMS and voice channels share: the REST call (form-encoded POST with basic auth
 * AccountSid:AuthToken), who is reached, the per-incident SMS ack code, and the verification of
 * Twilio's webhooks (X-Twilio-Signature).
 */

type TwilioConfig = ReceiverOf<'twilio-sms'> | ReceiverOf<'twilio-voice'>;

/**
 * POST /2010-04-01/Accounts/{AccountSid}/{resource}.json, form-encoded: "Twilio's API accepts
 * application/x-www-form-urlencoded" and answers JSON for a `.json` URI
 * (https://www.twilio.com/docs/usage/requests-to-twilio, https://www.twilio.com/docs/usage/twilios-response).
 * Errors are `{"code","message","more_info","status"}` with the HTTP status: 4xx refusals are final,
 * 429 (code 20429) and 5xx are retried by http.ts (Retry-After honoured).
 */
export async function twilioPost(c: TwilioConfig, resource: 'Messages' | 'Calls', form: Record<string, string>, ctx: NotifierContext): Promise<HttpResponse> {
  const token = c.authToken.reveal();
  return ctx.http.send({
    url: `${c.apiUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(c.accountSid)}/${resource}.json`,
    headers: { authorization: basicAuth(c.accountSid, token), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
    timeoutMs: c.timeout,
    secrets: [token],
  });
}

/** The created resource's sid (SM…/CA…); a 2xx without one is a contract break, not worth a retry. */
export function sidOf(res: HttpResponse, what: string): string {
  const sid = res.json<{ sid?: string }>().sid;
  if (!sid) throw new DeliveryError(`twilio answered ${res.status} without a ${what} sid`, { retryable: false, status: res.status });
  return sid;
}

/**
 * Who a message reaches: the numbers of the first send (follow-ups go to the people who got the
 * page), else the paged person's phone, else the receiver's `to` list.
 */
export function phonesFor(c: TwilioConfig, m: NotificationMessage): string[] {
  if (m.thread?.to) return m.thread.to.split(',');
  if (m.recipient) {
    if (m.recipient.phone) return [m.recipient.phone];
    throw new DeliveryError(`${c.type}: ${m.recipient.id} has no phone number`, { retryable: false });
  }
  if (c.to.length) return c.to;
  throw new DeliveryError(`${c.type}: no number to reach: set \`to\`, or page a user with a \`phone\``, { retryable: false });
}

/**
 * The short code an SMS reply names ("ack 4821"). Derived from the incident id, so nothing is
 * stored and every page of the incident carries the same code; it is no secret (the reply is
 * trusted because Twilio signed it and it comes from a number Klaxon pages), only a way to say
 * which open incident is meant. Two open incidents may share a code: the reply is then refused
 * as ambiguous and the person acknowledges another way.
 */
export function smsAckCode(incidentId: string): string {
  const n = parseInt(createHash('sha256').update(incidentId).digest('hex').slice(0, 8), 16) % 10_000;
  return String(n).padStart(4, '0');
}

/** "ack 4821" (any case, spaces around it, an optional '#'); undefined for any other text. */
export function parseSmsAck(body: string): string | undefined {
  return /^\s*ack\s*#?\s*(\d{4})\s*[.!]?\s*$/i.exec(body)?.[1];
}

/**
 * X-Twilio-Signature, as Twilio documents it (https://www.twilio.com/docs/usage/webhooks/webhooks-security,
 * "Validating signatures from Twilio"): the full URL Twilio requested (query string included),
 * then every POST parameter sorted by name, each name immediately followed by its value, no
 * delimiters; HMAC-SHA1 of that with the auth token; base64. A parameter sent more than once
 * contributes each value, values sorted too (as Twilio's own helper libraries do).
 */
export function twilioSignature(authToken: string, url: string, params: URLSearchParams | Record<string, string>): string {
  const pairs = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params);
  const data = pairs
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .reduce((acc, [k, v]) => acc + k + v, url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function verifyTwilioSignature(authToken: string, url: string, params: URLSearchParams, signature: string | undefined): boolean {
  if (!signature) return false;
  const want = Buffer.from(twilioSignature(authToken, url, params));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A TwiML answer to a webhook (`<Response>…</Response>`). */
export function twiml(inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`;
}
