import type { FastifyPluginAsync } from 'fastify';
import { register } from '../../metrics';
import { bearerMatches, unauthorized } from '../auth';

/** Prometheus scrape endpoint; behind a bearer when `server.metricsToken` is set (Prometheus: `authorization: { credentials_file }`). */
export const metricsPlugin: FastifyPluginAsync = async (app) => {
  app.get(
    '/metrics',
    {
      onRequest: async (request, reply) => {
        // Read per request, so a reload (SIGHUP) that sets or changes the token applies at once.
        const token = app.klaxon.config.config.server.metricsToken;
        if (token && !bearerMatches(request.headers.authorization, token)) return unauthorized(reply);
      },
    },
    async (_request, reply) => {
      reply.header('content-type', register.contentType);
      return register.metrics();
    },
  );
};
