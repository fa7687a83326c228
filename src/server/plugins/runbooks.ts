import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth';
import { grants } from '../../auth/permissions';
import { sendUpdate } from '../../incident/actions';
import { matchesAll } from '../../routing/matchers';
import { dryRun } from '../../runbook/dryRun';
import { runRunbookUpdate } from '../../../workflows/definitions';
import { runbookDecisionUpdate, runbookRunId } from '../../../workflows/runbookDefinitions';

const idParams = z.object({ id: z.string().min(1).max(200) });
const runParams = idParams.extend({ name: z.string().min(1).max(63), n: z.coerce.number().int().min(1) });
/** `actor` is accepted for old clients and ignored: the actor is the token's subject. */
const actorBody = z.object({ actor: z.string().max(200).optional(), note: z.string().max(2000).optional() }).strict();

/**
 * /api/v1/runbooks and an incident's runbook runs: what matches, run one now, approve or deny a
 * pending approval, cancel a run. Runs are child workflows of the incident (workflows/runbook.ts).
 */
export const runbooksPlugin: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const set = () => app.klaxon.runbookSet;

  r.get('/api/v1/runbooks', { config: { permission: 'read' } }, async () => ({
    runbooks: [...(set()?.byName.values() ?? [])].map(({ runbook: b }) => ({ name: b.name, description: b.description, mode: b.mode, match: b.match, onResolve: b.onResolve ?? 'cancel' })),
    errors: set()?.errors ?? [],
  }));

  r.get('/api/v1/runbooks/stats', { schema: { querystring: z.object({ days: z.coerce.number().int().min(1).max(365).default(30) }) }, config: { permission: 'read' } }, async (request) => ({
    days: request.query.days,
    runbooks: (await app.klaxon.runbookStore?.stats(request.tenant!, request.query.days * 86_400_000)) ?? [],
  }));

  r.get('/api/v1/incidents/:id/runbooks', { schema: { params: idParams }, config: { permission: 'read' } }, async (request, reply) => {
    const incident = await app.klaxon.incidents.getOwn(request.tenant!, request.params.id);
    if (!incident) return reply.code(404).send({ error: 'not found', message: `no incident ${request.params.id}` });
    const labels = { ...incident.labels, severity: incident.severity };
    const matching = [...(set()?.byName.values() ?? [])].filter((l) => matchesAll(l.matchers, labels)).map(({ runbook: b }) => ({ name: b.name, mode: b.mode, description: b.description, ...(b.minFiredInLastHour ? { minFiredInLastHour: b.minFiredInLastHour } : {}) }));
    const runs = (await app.klaxon.runbookStore?.runsOf(incident.id, incident.tenant)) ?? [];
    return { matching, runs };
  });

  r.post(
    '/api/v1/incidents/:id/runbooks/:name/run',
    { schema: { params: idParams.extend({ name: z.string().min(1).max(63) }), body: actorBody.extend({ params: z.record(z.string(), z.string()).optional() }) }, config: { permission: 'admin' } },
    async (request, reply) => {
      const incident = await app.klaxon.incidents.getOwn(request.tenant!, request.params.id);
      if (!incident) return reply.code(404).send({ error: 'not found', message: `no incident ${request.params.id}` });
      const handle = app.klaxon.temporal.workflow.getHandle(incident.workflowId);
      const out = await sendUpdate(app.klaxon.temporal, handle, runRunbookUpdate, { actor: actorOf(request), note: request.body.note, incidentId: incident.id, runbook: request.params.name, params: request.body.params }, `run of ${request.params.name}`);
      if (out.ok) return out.value;
      if (out.unavailable) return reply.code(503).header('retry-after', String(out.unavailable.retryAfterS)).send({ error: 'unavailable', message: out.message });
      return reply.code(409).send({ error: 'conflict', message: out.gone ? `incident is already ${incident.status}` : out.message });
    },
  );

  r.post(
    '/api/v1/incidents/:id/runbooks/:name/dry-run',
    { schema: { params: idParams.extend({ name: z.string().min(1).max(63) }), body: z.object({ params: z.record(z.string(), z.string()).optional() }).strict().optional() }, config: { permission: 'read' } },
    async (request, reply) => {
      const incident = await app.klaxon.incidents.getOwn(request.tenant!, request.params.id);
      if (!incident) return reply.code(404).send({ error: 'not found', message: `no incident ${request.params.id}` });
      const loaded = set()?.byName.get(request.params.name);
      if (!loaded) return reply.code(404).send({ error: 'not found', message: `no runbook named ${request.params.name}` });
      const labels = { ...incident.labels, severity: incident.severity };
      const recent = await app.klaxon.incidents.startedRecently(incident.tenant, incident.groupKey, 3_600_000);
      return dryRun(loaded, { id: incident.id, tenant: incident.tenant, title: incident.title, severity: incident.severity, labels, annotations: {}, firedInLastHour: recent }, request.body?.params ?? {});
    },
  );

  for (const decision of ['approve', 'deny'] as const) {
    r.post(`/api/v1/incidents/:id/runbooks/:name/:n/${decision}`, { schema: { params: runParams, body: actorBody }, config: { permission: 'write' } }, async (request, reply) => {
      const incident = await app.klaxon.incidents.getOwn(request.tenant!, request.params.id);
      if (!incident) return reply.code(404).send({ error: 'not found', message: `no incident ${request.params.id}` });
      const runId = runbookRunId(incident.id, request.params.name, request.params.n);
      const handle = app.klaxon.temporal.workflow.getHandle(runId);
      // A person answers as themselves (a request that names its approvers counts only theirs); an
      // admin's answer counts whoever the request names.
      const p = request.principal!;
      const decided = { actor: actorOf(request), note: request.body.note, approve: decision === 'approve', approver: p.subject, override: grants(p.permissions, 'admin') };
      const out = await sendUpdate(app.klaxon.temporal, handle, runbookDecisionUpdate, decided, `${decision} of ${runId}`);
      if (out.ok) return { run: out.value };
      if (out.unavailable) return reply.code(503).header('retry-after', String(out.unavailable.retryAfterS)).send({ error: 'unavailable', message: out.message });
      return reply.code(out.gone ? 404 : 409).send({ error: out.gone ? 'not found' : 'conflict', message: out.message });
    });
  }

  r.post('/api/v1/incidents/:id/runbooks/:name/:n/cancel', { schema: { params: runParams, body: actorBody }, config: { permission: 'admin' } }, async (request, reply) => {
    const incident = await app.klaxon.incidents.getOwn(request.tenant!, request.params.id);
    if (!incident) return reply.code(404).send({ error: 'not found', message: `no incident ${request.params.id}` });
    const runId = runbookRunId(incident.id, request.params.name, request.params.n);
    try {
      // The run records the cancel, cleans up (its steps' scopes end) and tells the incident.
      await app.klaxon.temporal.workflow.getHandle(runId).cancel();
    } catch (err) {
      return reply.code(404).send({ error: 'not found', message: `${runId}: ${(err as Error).message}` });
    }
    request.log.info({ runId, actor: actorOf(request) }, 'runbook cancel requested');
    return reply.code(202).send({ runId, cancelled: true });
  });
};
