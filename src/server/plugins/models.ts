import { WorkflowNotFoundError } from '@temporalio/client';
import { decodeOptionalSinglePayload } from '@temporalio/common/lib/internal-non-workflow';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ModelStore } from '../../store/models';
import { shadowReport } from '../../anomaly/report';
import { trainingOptionsSchema } from '../../anomaly/trainingOptions';
import { retrainScheduleId } from '../../temporal/schedules';
import { KlaxonTenant } from '../../temporal/searchAttributes';
import {
  RETRAIN_WORKFLOW,
  retrainProgressQuery,
  retrainWorkflowIdPrefix,
  type RetrainInput,
  type RetrainProgress,
  type RetrainResult,
  type retrainWorkflow,
} from '../../../workflows/retrain';

const DAY_MS = 86_400_000;

/** The tenant named in a path or body must be the token's (a token of tenant A never acts on B). */
function otherTenant(reply: FastifyReply, asked: string | undefined, own: string): boolean {
  if (asked === undefined || asked === own) return false;
  reply.code(403).send({ error: 'forbidden', message: 'this token cannot act on that tenant' });
  return true;
}

/**
 * /api/v1/models — the tenant's anomaly models: versions and metrics, retrain now (and follow its
 * progress), and what enforce would have changed (the shadow report). Used by `klaxon model …`.
 */
export const modelsPlugin: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const models = new ModelStore(app.klaxon.db.pool);
  const anomalyOf = (tenant: string) => app.klaxon.config.tenant(tenant)!.anomaly;

  r.get('/api/v1/models', { schema: { querystring: z.object({ tenant: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).optional() }) }, config: { permission: 'read' } }, async (request, reply) => {
    const tenant = request.tenant!;
    if (otherTenant(reply, request.query.tenant, tenant)) return reply;
    const cfg = anomalyOf(tenant);
    const now = Date.now();
    const [versions, labelled] = await Promise.all([
      models.list(tenant, request.query.limit ?? 50),
      models.countLabelled({ tenant, from: new Date(now - cfg.trainingWindow).toISOString(), to: new Date(now).toISOString(), transientWithinMs: cfg.transientWithin }),
    ]);
    return {
      tenant,
      mode: cfg.mode,
      trainingRows: { labelled, minimum: cfg.minTrainingRows },
      active: versions.find((v) => v.status === 'active')?.version ?? null,
      versions,
    };
  });

  r.post('/api/v1/models/retrain', { schema: { body: z.object({ tenant: z.string().optional(), options: trainingOptionsSchema.optional() }).strict().prefault({}) }, config: { permission: 'admin' } }, async (request, reply) => {
    const tenant = request.tenant!;
    if (otherTenant(reply, request.body.tenant, tenant)) return reply;
    if (anomalyOf(tenant).mode === 'off') return reply.code(409).send({ error: 'conflict', message: `anomaly mode is off for ${tenant}: nothing to retrain` });
    const temporal = app.klaxon.temporal;
    // The tenant's schedule knows the worker's task queue; a scheduled run already going is followed, not duplicated.
    let schedule;
    try {
      schedule = await temporal.schedule.getHandle(retrainScheduleId(tenant)).describe();
    } catch {
      return reply.code(409).send({ error: 'conflict', message: `no retrain schedule for ${tenant} (is a Klaxon worker running with this configuration?)` });
    }
    const running = schedule.info.runningActions[0];
    if (running) return reply.code(202).send({ workflowId: running.workflow.workflowId, runId: running.workflow.firstExecutionRunId, alreadyRunning: true });
    if (schedule.action.type !== 'startWorkflow') return reply.code(409).send({ error: 'conflict', message: 'unexpected retrain schedule action' });
    const input: RetrainInput = { tenant, trigger: 'manual', ...(request.body.options ? { options: request.body.options } : {}) };
    const handle = await temporal.workflow.start<typeof retrainWorkflow>(RETRAIN_WORKFLOW, {
      taskQueue: schedule.action.taskQueue,
      workflowId: `${retrainWorkflowIdPrefix(tenant)}manual`,
      // A manual retrain already running is joined rather than started twice.
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [input],
      typedSearchAttributes: [{ key: KlaxonTenant, value: tenant }],
    });
    return reply.code(202).send({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, alreadyRunning: false });
  });

  r.get('/api/v1/models/retrains/:workflowId', { schema: { params: z.object({ workflowId: z.string().min(1).max(300) }) }, config: { permission: 'read' } }, async (request, reply) => {
    const { workflowId } = request.params;
    const notFound = () => reply.code(404).send({ error: 'not found', message: `no retrain ${workflowId}` });
    if (!workflowId.startsWith(retrainWorkflowIdPrefix(request.tenant!))) return notFound();
    const handle = app.klaxon.temporal.workflow.getHandle(workflowId);
    let description;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return notFound();
      throw err;
    }
    const status = description.status.name;
    const pending = description.raw.pendingActivities?.[0];
    // Heartbeat details are stored encrypted: decoded through the client's codec, as results are.
    const heartbeat = (await decodeOptionalSinglePayload<unknown>(app.klaxon.temporal.options.loadedDataConverter, pending?.heartbeatDetails?.payloads?.[0])) ?? undefined;
    let result: RetrainResult | undefined;
    let error: string | undefined;
    let progress: RetrainProgress | undefined;
    if (status === 'COMPLETED') result = await handle.result();
    else if (status !== 'RUNNING') error = await handle.result().then(() => undefined, (err: Error) => (err.cause as Error | undefined)?.message ?? err.message);
    if (status === 'RUNNING') progress = await handle.query(retrainProgressQuery).catch(() => undefined);
    return {
      workflowId,
      runId: description.runId,
      status,
      ...(progress ? { progress } : {}),
      ...(pending ? { activity: { type: pending.activityType?.name, attempt: pending.attempt, heartbeat } } : {}),
      ...(result ? { result } : {}),
      ...(error ? { error } : {}),
    };
  });

  r.get('/api/v1/models/report', { schema: { querystring: z.object({ days: z.coerce.number().int().min(1).max(365).default(7), tenant: z.string().optional() }) }, config: { permission: 'read' } }, async (request, reply) => {
    const tenant = request.tenant!;
    if (otherTenant(reply, request.query.tenant, tenant)) return reply;
    const since = new Date(Date.now() - request.query.days * DAY_MS).toISOString();
    const rows = await models.reportRows({ tenant, since });
    return { tenant, mode: anomalyOf(tenant).mode, report: shadowReport(rows, { since, days: request.query.days, transientWithinMs: anomalyOf(tenant).transientWithin }) };
  });
};
