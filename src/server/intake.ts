import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Secret } from '../config/secret';
import { bearerMatches } from '../auth/bearer';
import { intakeRejected } from '../metrics';
import { unauthorized } from './auth';
import { IntakeRateLimiter, retryAfterSeconds } from './rateLimit';

/**
 * An unknown tenant is checked against this instead of a real token, so it costs the same hashing
 * and comparison as a wrong token and answers the same 401: neither the status, the body nor the
 * timing tells a caller which tenants exist.
 */
const NO_SUCH_TENANT = new Secret('(unknown tenant)', randomBytes(32).toString('hex'));

/**
 * The guard of the intake routes (webhook, heartbeat), run on request: before fastify reads or
 * parses the body, so an unauthenticated caller never gets a byte parsed (nor a 400 or 413 that
 * would tell it the route and schema exist). Then the tenant's token bucket (`webhook.rateLimit`):
 * only authenticated requests spend it, so nobody without the token can starve a tenant's intake.
 */
export function intakeGuard(app: FastifyInstance, route: 'webhook' | 'heartbeat') {
  const limiter = new IntakeRateLimiter();
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { tenant } = request.params as { tenant: string };
    const t = app.klaxon.config.tenant(tenant);
    const ok = bearerMatches(request.headers.authorization, t ? t.webhook.token : NO_SUCH_TENANT);
    if (!t || !ok) {
      intakeRejected.inc({ route, reason: 'unauthorized' });
      return unauthorized(reply);
    }
    const taken = limiter.take(tenant, t.webhook.rateLimit);
    if (!taken.ok) {
      intakeRejected.inc({ route, reason: 'rate-limited' });
      const seconds = retryAfterSeconds(taken.retryAfterMs);
      return reply
        .code(429)
        .header('retry-after', String(seconds))
        .send({ error: 'rate limited', message: `over this tenant's ${route} limit (webhook.rateLimit: ${t.webhook.rateLimit.perSecond}/s, burst ${t.webhook.rateLimit.burst}); retry in ${seconds}s` });
    }
  };
}
