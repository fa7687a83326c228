import type { FastifyPluginAsync } from 'fastify';
import { parseSlackAction, SlackActionError, verifySlackSignature } from '../../notifiers/slackInteractivity';
import { ACTIONS, applyAction, sendUpdate } from '../../incident/actions';
import { runbookDecisionUpdate } from '../../../workflows/runbookDefinitions';

/**
 * POST /integrations/slack/actions — Slack's interactivity request URL. Verifies X-Slack-Signature
 * against the tenants' signing secrets (older than 5 minutes is refused), then applies the button
 * (Acknowledge, Resolve, Snooze 1h) to the incident, if it belongs to the tenant whose secret signed.
 */
export const slackPlugin: FastifyPluginAsync = async (app) => {
  // The signature covers the raw body, so keep it as text.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post('/integrations/slack/actions', async (request, reply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    const headers = { timestamp: request.headers['x-slack-request-timestamp'] as string | undefined, signature: request.headers['x-slack-signature'] as string | undefined };
    const tenant = Object.entries(app.klaxon.config.config.tenants).find(
      ([, t]) => t.slack && verifySlackSignature({ signingSecret: t.slack.signingSecret.reveal(), body, ...headers }),
    )?.[0];
    if (!tenant) return reply.code(401).send({ error: 'unauthorized', message: 'bad or expired Slack signature' });
    let action;
    try {
      action = parseSlackAction(body);
    } catch (err) {
      if (err instanceof SlackActionError) return reply.code(400).send({ error: 'bad request', message: err.message });
      throw err;
    }
    const incident = await app.klaxon.incidents.get(action.incidentId);
    if (!incident || incident.tenant !== tenant) return reply.code(404).send({ error: 'not found', message: 'no such incident' });
    if (action.action === 'runbookApprove' || action.action === 'runbookDeny') {
      const approve = action.action === 'runbookApprove';
      // The tenant user whose `slack` id clicked: a request that names its approvers counts only theirs.
      const approver = Object.entries(app.klaxon.config.config.tenants[tenant].users).find(([, u]) => u.slack === action.userId)?.[0];
      const decision = { actor: `slack:${action.user}`, approve, ...(approver ? { approver } : {}) };
      const out = await sendUpdate(app.klaxon.temporal, app.klaxon.temporal.workflow.getHandle(action.runId!), runbookDecisionUpdate, decision, `${approve ? 'approval' : 'denial'} of ${action.runId}`);
      return { response_type: 'ephemeral', replace_original: false, text: out.ok ? `${action.runId}: ${approve ? 'approved' : 'denied'}` : `Not done: ${out.message}` };
    }
    const name = action.action;
    const [, update] = ACTIONS.find(([n]) => n === name)!;
    const outcome = await applyAction(app.klaxon, incident, name, update, {
      actor: `slack:${action.user}`,
      ...(action.action === 'snooze' ? { duration: `${Math.round((action.snoozeMs ?? 3_600_000) / 1000)}s` } : {}),
    });
    // Slack shows this to the clicking user only.
    return { response_type: 'ephemeral', replace_original: false, text: outcome.ok ? `${incident.title}: ${outcome.state.status}` : `Not done: ${outcome.message}` };
  });
};
