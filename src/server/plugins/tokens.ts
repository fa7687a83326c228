import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { decodeJwt, type JWTPayload } from 'jose';
import { z } from 'zod';
import { actorOf } from '../auth';
import type { Authenticator } from '../../auth/authenticate';
import type { RevocationList } from '../../auth/revocations';
import { AuthError, verifyKlaxonToken } from '../../auth/tokens';

const reason = z.string().min(1).max(500).optional();
const body = z
  .object({
    token: z.string().min(1).max(8192).optional().describe("one token to revoke (Klaxon's own, of your tenant)"),
    user: z.string().min(1).max(200).optional().describe('revoke every token of this user issued until now'),
    reason: z.string().min(1).max(500).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.token === undefined) !== (b.user === undefined)) return;
    ctx.addIssue({ code: 'custom', path: [b.token === undefined ? 'user' : 'token'], message: 'give exactly one of "token" (one token) or "user" (every token of that user issued until now)' });
  });

/**
 * POST /api/v1/tokens/revocations — ends a token before it expires: one token (a lost laptop) or
 * every token of a user issued until now (someone left). GET lists the tenant's revocations still
 * in force. `admin` only; every HTTP process refuses the token within REVOCATIONS_REFRESH_MS.
 */
export const tokensPlugin: FastifyPluginAsync<{ authn: Authenticator; revocations: RevocationList }> = async (app, { authn, revocations }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const bad = (message: string) => ({ error: 'bad request', message });

  r.post('/api/v1/tokens/revocations', { schema: { body }, config: { permission: 'admin' } }, async (request, reply) => {
    const tenant = request.tenant!;
    const auth = app.klaxon.config.config.server.auth;
    const by = { tenant, revokedBy: actorOf(request), reason: request.body.reason };
    if (request.body.user !== undefined) {
      // Whatever that user holds now, of any lifetime Klaxon issues (an IdP's are shorter).
      const added = await revocations.add({ ...by, user: request.body.user, issuedBefore: new Date(), expiresAt: new Date(Date.now() + auth.maxTtl) });
      return reply.code(201).send({ revocation: added });
    }
    const token = request.body.token!;
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      return reply.code(400).send(bad('token: not a JWT'));
    }
    const issuer = claims.iss;
    if (issuer !== auth.issuer) return reply.code(400).send(bad(`token: issued by "${issuer ?? '(none)'}", not by Klaxon (${auth.issuer}); revoke an identity provider's tokens there, or all of a user's here with {"user": …}`));
    let holder;
    try {
      holder = await verifyKlaxonToken(authn.keyring(), token, { issuer: auth.issuer, audience: auth.audience, clockToleranceMs: auth.clockTolerance });
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return reply.code(400).send(bad(`token: ${err.message}; nothing to revoke`));
    }
    // Another tenant's token is none of this admin's business, and says nothing about it either.
    if (holder.tenant !== tenant) return reply.code(403).send({ error: 'forbidden', message: 'token: it is not of your tenant' });
    if (!holder.tokenId) return reply.code(400).send(bad('token: it has no id (jti); revoke all of its user\'s tokens with {"user": …}'));
    // Verified above, so it has an expiry; the row stops mattering when the token would have.
    const added = await revocations.add({ ...by, jti: holder.tokenId, expiresAt: new Date(claims.exp! * 1000 + auth.clockTolerance) });
    return reply.code(201).send({ revocation: added });
  });

  r.get('/api/v1/tokens/revocations', { config: { permission: 'admin' } }, async (request) => ({
    revocations: await revocations.list(request.tenant!),
  }));
};
