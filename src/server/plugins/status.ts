import type { FastifyPluginAsync } from 'fastify';
import { stackStatus } from '../stackStatus';

/** GET /api/v1/status — the running stack as the tenant's token sees it (`klaxon status`); 503 when something is down. */
export const statusPlugin: FastifyPluginAsync = async (app) => {
  app.get('/api/v1/status', { config: { permission: 'read' } }, async (request, reply) => {
    const status = await stackStatus(app.klaxon, request.tenant!);
    return reply.code(status.status === 'ok' ? 200 : 503).send(status);
  });
};
