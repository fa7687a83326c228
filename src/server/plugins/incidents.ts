import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth';
import type { Permission } from '../../auth/permissions';
import { stateQuery } from '../../../workflows/definitions';
import { ACTIONS, applyAction, type ActionArgs, type ActionName } from '../../incident/actions';
import { readTimeline } from '../../incident/timeline';

const idParams = z.object({ id: z.string().min(1).max(200) });

/** What each action needs: changing an incident's state is `write`; paging someone else is `escalate`. */
const ACTION_PERMISSION: Record<ActionName, Permission> = { ack: 'write', unack: 'write', resolve: 'write', snooze: 'write', escalate: 'escalate', reassign: 'escalate' };

/** /api/v1/incidents — read incidents and their timelines (workflow events and failed delivery tries); act on them (ack, unack, resolve, snooze, escalate, reassign). */
export const incidentsPlugin: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/incidents',
    { schema: { querystring: z.object({ tenant: z.string().optional(), status: z.enum(['firing', 'acknowledged', 'resolved']).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }) }, config: { permission: 'read' } },
    async (request, reply) => {
      // The token decides the tenant; asking for another one is refused, not silently ignored.
      if (request.query.tenant && request.query.tenant !== request.tenant) {
        return reply.code(403).send({ error: 'forbidden', message: 'this token cannot read that tenant' });
      }
      const incidents = await app.klaxon.incidents.list({ tenant: request.tenant!, status: request.query.status, limit: request.query.limit });
      return { incidents };
    },
  );

  r.get('/api/v1/incidents/:id', { schema: { params: idParams }, config: { permission: 'read' } }, async (request, reply) => {
    const incident = await app.klaxon.incidents.getOwn(request.tenant!, request.params.id);
    if (!incident) return reply.code(404).send({ error: 'not found', message: `no incident ${request.params.id}` });
    return { incident, timeline: await readTimeline(app.klaxon, incident) };
  });

  r.get('/api/v1/incidents/:id/state', { schema: { params: idParams }, config: { permission: 'read' } }, async (request, reply) => {
    const incident = await app.klaxon.incidents.getOwn(request.tenant!, request.params.id);
    if (!incident) return reply.code(404).send({ error: 'not found', message: `no incident ${request.params.id}` });
    // The latest run carries the incident after continue-as-new; if it belongs to a later incident
    // of the same alert group, ours has ended and its own (last) run answers.
    const latest = await app.klaxon.temporal.workflow.getHandle(incident.workflowId).query(stateQuery);
    const state = latest.id === incident.id ? latest : await app.klaxon.temporal.workflow.getHandle(incident.workflowId, incident.runId).query(stateQuery);
    return { state };
  });

  for (const [action, update, body] of ACTIONS) {
    r.post(`/api/v1/incidents/:id/${action}`, { schema: { params: idParams, body }, config: { permission: ACTION_PERMISSION[action] } }, async (request, reply) => {
      const incident = await app.klaxon.incidents.getOwn(request.tenant!, request.params.id);
      if (!incident) return reply.code(404).send({ error: 'not found', message: `no incident ${request.params.id}` });
      const outcome = await applyAction(app.klaxon, incident, action, update, { ...(request.body as Omit<ActionArgs, 'actor'>), actor: actorOf(request) });
      if (outcome.ok) return { state: outcome.state };
      if (outcome.unavailable) return reply.code(503).header('retry-after', String(outcome.unavailable.retryAfterS)).send({ error: 'unavailable', message: outcome.message });
      return reply.code(409).send({ error: 'conflict', message: outcome.message });
    });
  }
};
