import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { webhookPayloadSchema } from '../../alertmanager/payload';
import { intakeGuard } from '../intake';
import { webhookDuration } from '../../metrics';
import { splitHeartbeats } from '../../heartbeat/heartbeats';

/** POST /webhook/:tenant — Alertmanager's webhook_configs target. */
export const webhookPlugin: FastifyPluginAsync<{ bodyLimit: number }> = async (app, opts) => {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/webhook/:tenant',
    {
      bodyLimit: opts.bodyLimit,
      schema: { params: z.object({ tenant: z.string().max(63) }) },
      // Token and rate limit before the body is read (src/server/intake.ts).
      onRequest: intakeGuard(app, 'webhook'),
    },
    async (request, reply) => {
      const end = webhookDuration.startTimer({ tenant: request.params.tenant });
      const parsed = webhookPayloadSchema.safeParse(request.body);
      if (!parsed.success) {
        end({ code: '400' });
        return reply.code(400).send({
          error: 'invalid payload',
          message: 'the body is not an Alertmanager webhook payload (version 4)',
          issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
        });
      }
      const tenant = app.klaxon.config.tenant(request.params.tenant)!;
      // Alerts that are heartbeats (Alertmanager's Watchdog) beat them and open no incident.
      const { beats, rest } = splitHeartbeats(tenant, parsed.data);
      const heartbeats = app.klaxon.heartbeats;
      let incidents: Awaited<ReturnType<typeof app.klaxon.ingest.ingest>> = [];
      try {
        if (heartbeats) await Promise.all(beats.map((b) => heartbeats.beat(request.params.tenant, b.name, tenant.heartbeats[b.name], b.source)));
        if (rest) incidents = await app.klaxon.ingest.ingest(request.params.tenant, tenant, rest);
      } catch (err) {
        // Observed too, so "Alertmanager gets 5xx" is a series an alert can see (the error handler answers).
        end({ code: String((err as { statusCode?: number }).statusCode ?? 500) });
        throw err;
      }
      end({ code: '202' });
      return reply.code(202).send({ status: 'accepted', alerts: parsed.data.alerts.length, incidents, ...(beats.length ? { heartbeats: beats.map((b) => b.name) } : {}) });
    },
  );
};
