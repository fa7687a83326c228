import type { FastifyPluginAsync } from 'fastify';
import { register } from '../../metrics';

/** Prometheus scrape endpoint. */
export const metricsPlugin: FastifyPluginAsync = async (app) => {
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', register.contentType);
    return register.metrics();
  });
};
