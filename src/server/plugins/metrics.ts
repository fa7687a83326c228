import type { FastifyPluginAsync } from 'fastify';
import { metricsText, METRICS_CONTENT_TYPE } from '../scrape';

/** Prometheus scrape endpoint: Klaxon's metrics and the Temporal SDK's worker metrics. */
export const metricsPlugin: FastifyPluginAsync = async (app) => {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', METRICS_CONTENT_TYPE);
    return metricsText();
  });
};
