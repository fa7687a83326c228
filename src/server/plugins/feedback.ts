import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth';
import { ModelStore } from '../../store/models';

const params = z.object({ id: z.string().min(1).max(200) });
const body = z
  .object({
    label: z.enum(['noise', 'actionable']),
    /** Accepted for old clients and ignored: the actor is the token's subject. */
    actor: z.string().max(200).optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

/**
 * POST /api/v1/incidents/:id/feedback {"label": "noise" | "actionable"} — a person's verdict on an
 * incident; it overrides the label its outcome would give it when the anomaly models retrain
 * (src/anomaly/labels.ts). The latest feedback per incident wins; every one is kept.
 */
export const feedbackPlugin: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const models = new ModelStore(app.klaxon.db.pool);

  r.post('/api/v1/incidents/:id/feedback', { schema: { params, body }, config: { permission: 'write' } }, async (request, reply) => {
    const incident = await app.klaxon.incidents.get(request.params.id);
    // Another tenant's incident is indistinguishable from a missing one.
    if (!incident || incident.tenant !== request.tenant) return reply.code(404).send({ error: 'not found', message: `no incident ${request.params.id}` });
    const feedback = await models.addFeedback({ incidentId: incident.id, tenant: incident.tenant, label: request.body.label, actor: actorOf(request), note: request.body.note });
    return reply.code(201).send({ feedback });
  });
};
