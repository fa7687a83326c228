import type { FastifyPluginAsync } from 'fastify';
import { metricsText, METRICS_CONTENT_TYPE } from '../scrape';
import { bearerMatches, unauthorized } from '../auth';

/**
 * Prometheus scrape endpoint: Klaxon's metrics and the Temporal SDK's worker metrics; behind a
 * bearer when `server.metricsToken` is set (Prometheus: `authorization: { credentials_file }`).
 */
export const metricsPlugin: FastifyPluginAsync = async (app) => {
  app.get(
    '/metrics',
    {
      schema: { hide: true },
      onRequest: async (request, reply) => {
        // Read per request, so a reload (SIGHUP) that sets or changes the token applies at once.
        const token = app.klaxon.config.config.server.metricsToken;
        if (token && !bearerMatches(request.headers.authorization, token)) return unauthorized(reply);
      },
    },
    async (_request, reply) => {
      reply.header('content-type', METRICS_CONTENT_TYPE);
      return metricsText();
    },
  );
};
