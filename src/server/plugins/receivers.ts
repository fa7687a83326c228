import type { FastifyPluginAsync } from 'fastify';
import { receiverHealth } from '../../notifiers/circuitBreaker';

/** GET /api/v1/receivers/health — circuit breaker state of the tenant's receivers. */
export const receiversPlugin: FastifyPluginAsync = async (app) => {
  app.get('/api/v1/receivers/health', { config: { permission: 'read' } }, async (request) => {
    const tenant = request.tenant!;
    const known = new Map(receiverHealth().filter((h) => h.tenant === tenant).map((h) => [h.receiver, h]));
    const receivers = Object.entries(app.klaxon.config.tenant(tenant)?.receivers ?? {}).map(([name, r]) => ({
      receiver: name,
      type: r.type,
      state: known.get(name)?.state ?? 'closed',
      failures: known.get(name)?.failures ?? 0,
      openedAt: known.get(name)?.openedAt,
      lastError: known.get(name)?.lastError,
    }));
    return { receivers };
  });
};
