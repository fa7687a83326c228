import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { intakeGuard } from '../intake';

/**
 * POST /heartbeat/:tenant/:name — a check-in of a dead-man's switch (a cron job, a backup, a
 * pipeline), with the tenant's webhook token. Answers 202 once the beat is durable in Temporal.
 */
export const heartbeatPlugin: FastifyPluginAsync = async (app) => {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/heartbeat/:tenant/:name',
    {
      schema: { params: z.object({ tenant: z.string().max(63), name: z.string().max(63) }) },
      bodyLimit: 4096,
      // Token and rate limit before the body is read; an unknown tenant and a bad token answer alike (src/server/intake.ts).
      onRequest: intakeGuard(app, 'heartbeat'),
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      const h = app.klaxon.config.tenant(tenant)!.heartbeats[name];
      if (!h) return reply.code(404).send({ error: 'not found', message: `no heartbeat "${name}" in tenant ${tenant} (heartbeats: in the tenants file)` });
      if (!app.klaxon.heartbeats) return reply.code(503).send({ error: 'unavailable', message: 'heartbeats are not served by this process' });
      await app.klaxon.heartbeats.beat(tenant, name, h, 'http');
      return reply.code(202).send({ status: 'accepted', heartbeat: name });
    },
  );
};
