import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticate';

/**
 * GET /.well-known/jwks.json — the public halves of Klaxon's token signing keys, so another service
 * (a codec server, a proxy) can check a Klaxon token itself. Public keys only; empty without keys.
 */
export const jwksPlugin: FastifyPluginAsync<{ authn: Authenticator }> = async (app, { authn }) => {
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return authn.keyring().jwks();
  });
};
