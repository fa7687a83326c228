import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { createHttpDelivery } from '../../notifiers/http';
import { ackByToken, ackTokenClaims } from '../../links/ackByToken';
import { PUSHOVER_CALLBACK_ROUTE } from '../../links/ackRoutes';

/**
 * POST /integrations/pushover/callback/<token> — the `callback` of an emergency-priority page:
 * "When the user has acknowledged the notification, our servers will make an HTTP POST request to
 * the callback URL … receipt, acknowledged, acknowledged_at, acknowledged_by,
 * acknowledged_by_device" (https://pushover.net/api/receipts#callback). Pushover does not sign its
 * callbacks, so Klaxon trusts neither the body nor the caller: the URL's signed single-use ack token
 * says which incident (and which person), and the receipt is confirmed with Pushover itself
 * (GET /1/receipts/<receipt>.json: `acknowledged` = 1) under the tenant's own app token before the
 * incident is acknowledged.
 */

const callbackBody = z.object({ receipt: z.string().regex(/^[A-Za-z0-9]{30}$/), acknowledged_by_device: z.string().max(100).optional() }).loose();
const receiptAnswer = z.object({ status: z.literal(1), acknowledged: z.literal(1) }).loose();

export const pushoverPlugin: FastifyPluginAsync = async (app) => {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const http = createHttpDelivery();

  app.post<{ Params: { token: string } }>(`/${PUSHOVER_CALLBACK_ROUTE}/:token`, async (request, reply) => {
    const raw = typeof request.body === 'string' ? Object.fromEntries(new URLSearchParams(request.body)) : request.body;
    const body = callbackBody.safeParse(raw);
    if (!body.success) return reply.code(400).send({ error: 'bad request', message: 'receipt (30 letters and digits) is required' });
    const { token } = request.params;
    const found = await ackTokenClaims(app.klaxon, token);
    if (!found.ok) return reply.code(found.reason === 'expired' ? 410 : found.reason === 'unknown incident' ? 404 : 403).send({ error: 'refused', message: found.message });
    const tenant = app.klaxon.config.tenant(found.claims.t);
    const receivers = Object.entries(tenant?.receivers ?? {}).flatMap(([name, r]) => (r.type === 'pushover' ? [{ name, r }] : []));
    let confirmedBy: string | undefined;
    for (const { name, r } of receivers) {
      const res = await http
        .send({ method: 'GET', url: `${r.apiUrl.replace(/\/+$/, '')}/1/receipts/${encodeURIComponent(body.data.receipt)}.json?token=${encodeURIComponent(r.token.reveal())}`, timeoutMs: r.timeout, secrets: [r.token.reveal()] })
        .catch((err: Error) => {
          request.log.warn({ receiver: name, err: err.message }, 'pushover receipt check failed');
          return undefined;
        });
      if (res && receiptAnswer.safeParse(res.json()).success) {
        confirmedBy = name;
        break;
      }
    }
    if (!confirmedBy) return reply.code(403).send({ error: 'refused', message: 'Pushover does not confirm this receipt as acknowledged' });
    const device = body.data.acknowledged_by_device;
    const out = await ackByToken(app.klaxon, token, (claims) => claims.u ?? `pushover:${device || confirmedBy}`);
    if (out.ok) return { ok: true, acknowledgedBy: out.state.acknowledgedBy };
    if (out.reason === 'unavailable') return reply.code(503).header('retry-after', String(out.retryAfterS ?? 5)).send({ error: 'unavailable', message: out.message });
    // Already acknowledged (here or elsewhere) or resolved: nothing for Pushover to retry.
    return { ok: false, message: out.message };
  });
};
