import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ReceiverOf } from '../../config/receivers';
import type { TenantConfig } from '../../config/schema';
import { escapeXml, parseSmsAck, smsAckCode, twiml, verifyTwilioSignature } from '../../notifiers/twilio';
import { ackByToken, ackTokenClaims } from '../../links/ackByToken';
import { applyAction } from '../../incident/actions';
import { acknowledgeUpdate } from '../../../workflows/definitions';
import { TWILIO_VOICE_ROUTE } from '../../links/ackRoutes';

/**
 * Twilio's webhooks (outside /api/: Twilio cannot send a bearer; every request is verified by its
 * X-Twilio-Signature against the auth token of the tenant's Twilio receivers instead):
 *
 * - POST /integrations/twilio/sms — the number's "A message comes in" webhook. A reply "ack 4821"
 *   from a number Klaxon pages acknowledges the open incident whose SMS carried code 4821.
 * - POST /integrations/twilio/voice/<token> — the call's `<Gather action>`: pressing 1
 *   acknowledges the incident the call was about (the signed single-use ack token names it).
 *
 * Both answer TwiML. The actor is the person: the tenant user whose `phone` it is, else
 * `twilio:<phone>`.
 */

type TwilioReceiver = ReceiverOf<'twilio-sms'> | ReceiverOf<'twilio-voice'>;
type Signed = { tenant: string; config: TenantConfig; receiver: TwilioReceiver };

export const twilioPlugin: FastifyPluginAsync = async (app) => {
  // The signature covers every POST parameter as sent: keep the raw form.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  /**
   * The receivers whose auth token signed this request. Twilio signs the URL it requested, which is
   * Klaxon's public URL (a proxy in front changes host and scheme), so the URL is rebuilt from
   * `server.publicUrl` (https://www.twilio.com/docs/usage/webhooks/webhooks-security: "use the
   * exact URL … including query parameters").
   */
  function signedBy(request: FastifyRequest, type: TwilioReceiver['type'], params: URLSearchParams): Signed[] {
    const url = `${app.klaxon.config.config.server.publicUrl.replace(/\/+$/, '')}${request.url}`;
    const signature = request.headers['x-twilio-signature'];
    const sig = Array.isArray(signature) ? signature[0] : signature;
    const out: Signed[] = [];
    for (const [tenant, config] of Object.entries(app.klaxon.config.config.tenants)) {
      for (const receiver of Object.values(config.receivers)) {
        if (receiver.type !== type) continue;
        if (verifyTwilioSignature(receiver.authToken.reveal(), url, params, sig)) out.push({ tenant, config, receiver });
      }
    }
    return out;
  }

  const answer = (reply: FastifyReply, inner: string) => reply.type('text/xml; charset=utf-8').send(twiml(inner));
  const refuse = (reply: FastifyReply) => reply.code(403).type('text/plain').send('bad X-Twilio-Signature');
  const formOf = (request: FastifyRequest) => new URLSearchParams(typeof request.body === 'string' ? request.body : '');

  /** Who a number is: the tenant user with that phone, or the number itself. */
  const personOf = (config: TenantConfig, phone: string) => Object.entries(config.users).find(([, u]) => u.phone === phone)?.[0];

  app.post('/integrations/twilio/sms', async (request, reply) => {
    const params = formOf(request);
    const to = params.get('To') ?? '';
    const signed = signedBy(request, 'twilio-sms', params).filter((s) => s.receiver.from === to);
    if (!signed.length) return refuse(reply);
    const from = params.get('From') ?? '';
    const say = (text: string) => answer(reply, `<Message>${escapeXml(text)}</Message>`);
    const code = parseSmsAck(params.get('Body') ?? '');
    if (!code) return say('Klaxon: reply "ack" and the code from the page (e.g. "ack 4821") to acknowledge.');
    // Only the people Klaxon pages may acknowledge: a tenant user's phone, or a number the receiver pages.
    const tenants = new Map<string, { config: TenantConfig; actor: string }>();
    for (const s of signed) {
      const user = personOf(s.config, from);
      if (user || s.receiver.to.includes(from)) tenants.set(s.tenant, { config: s.config, actor: user ?? `twilio:${from}` });
    }
    if (!tenants.size) return say('Klaxon: this number is not one Klaxon pages; not acknowledged.');
    const matches = [];
    for (const [tenant, t] of tenants) {
      for (const inc of await app.klaxon.incidents.list({ tenant, status: 'firing', limit: 1000 })) {
        if (smsAckCode(inc.id) === code) matches.push({ inc, actor: t.actor });
      }
    }
    if (matches.length > 1) return say(`Klaxon: code ${code} matches ${matches.length} open incidents; acknowledge from the incident page.`);
    if (!matches.length) return say(`Klaxon: no firing incident has code ${code} (already acknowledged or resolved?).`);
    const [{ inc, actor }] = matches;
    const outcome = await applyAction(app.klaxon, inc, 'ack', acknowledgeUpdate, { actor });
    if (outcome.ok) return say(`Klaxon: acknowledged by ${outcome.state.acknowledgedBy}: ${inc.title}`);
    return say(`Klaxon: not acknowledged (${outcome.message}): ${inc.title}`);
  });

  app.post<{ Params: { token: string } }>(`/${TWILIO_VOICE_ROUTE}/:token`, async (request, reply) => {
    const params = formOf(request);
    const signed = signedBy(request, 'twilio-voice', params);
    if (!signed.length) return refuse(reply);
    const { token } = request.params;
    const found = await ackTokenClaims(app.klaxon, token);
    // The token must belong to a tenant whose Twilio account signed: one tenant's account cannot act on another's incident.
    const mine = found.ok ? signed.find((s) => s.tenant === found.claims.t) : undefined;
    const say = (text: string) => `<Say>${escapeXml(text)}</Say>`;
    if (!found.ok || !mine) return answer(reply, say('This alert can no longer be acknowledged by phone. Goodbye.'));
    // Ask (again) for a keypress, to this same action.
    const gather = (text: string) =>
      `<Gather input="dtmf" numDigits="1" timeout="10" method="POST" action="${escapeXml(`${app.klaxon.config.config.server.publicUrl.replace(/\/+$/, '')}${request.url}`)}">${say(text)}</Gather>${say('Not acknowledged. Goodbye.')}`;
    if (params.get('Digits') !== '1') return answer(reply, gather('Press 1 to acknowledge.'));
    // The called party of an outbound call is `To` (https://www.twilio.com/docs/voice/twiml#request-parameters).
    const phone = params.get('To') ?? params.get('Called') ?? '';
    const out = await ackByToken(app.klaxon, token, (claims) => personOf(mine.config, phone) ?? claims.u ?? `twilio:${phone}`);
    if (out.ok) return answer(reply, say(`Acknowledged by ${out.state.acknowledgedBy}. Thank you. Goodbye.`));
    if (out.reason === 'unavailable') return answer(reply, gather('Klaxon could not confirm the acknowledgement. Press 1 to try again.'));
    return answer(reply, say(`Not acknowledged: ${out.message}. Goodbye.`));
  });
};
