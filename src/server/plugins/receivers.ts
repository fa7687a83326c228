import type { FastifyPluginAsync } from 'fastify';
import { tenantReceiverHealth } from '../../notifiers/receiverHealth';

/** GET /api/v1/receivers/health — circuit breaker state of the tenant's receivers, as all workers share it. */
export const receiversPlugin: FastifyPluginAsync = async (app) => {
  app.get('/api/v1/receivers/health', { config: { permission: 'read' } }, async (request) => {
    const tenant = request.tenant!;
    const shared = await app.klaxon.breakers?.sharedHealth(tenant);
    return { receivers: tenantReceiverHealth(tenant, app.klaxon.config.tenant(tenant), shared) };
  });
};
