import { createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { verifyLink, type LinkClaims } from '../../links/oneClick';
import { applyAction } from '../../incident/actions';
import type { IncidentRow } from '../../store/incidents';
import { acknowledgeUpdate } from '../../../workflows/definitions';
import { runbookDecisionUpdate } from '../../../workflows/runbookDefinitions';
import { sendUpdate } from '../../incident/actions';
import { esc, htmlLine as line, htmlPage as page } from '../html';


/**
 * The signed one-click "acknowledge" link in messages. GET only shows what the link would do and a
 * button: mail scanners and chat unfurlers fetch links, and must not acknowledge anything. The
 * button POSTs, which acts once: a link is single-use (its hash is recorded when used).
 */
export const linksPlugin: FastifyPluginAsync = async (app) => {
  // The confirmation form posts no fields; accept (and ignore) its body.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  /** The link's incident, or the answer that ends the request (disabled, forged, expired, used, unknown). */
  async function resolveLink(token: string, reply: FastifyReply, action: LinkClaims['a'] = 'ack'): Promise<{ incident: IncidentRow; claims: LinkClaims; hash: string } | undefined> {
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    const key = app.klaxon.config.config.server.linkSigningKey;
    if (!key) return void reply.code(404).send(line('Klaxon', 'One-click links are not enabled.'));
    const check = verifyLink(token, key.reveal());
    // A link does only what it was made for: a page link (read-only) never acknowledges or approves.
    if (check.ok && check.claims.a !== action) return void reply.code(400).send(line('Klaxon', 'This link is not valid.'));
    if (!check.ok) return void reply.code(check.reason === 'expired' ? 410 : 400).send(line('Klaxon', `This link is ${check.reason === 'expired' ? 'expired' : 'not valid'}.`));
    const incident = await app.klaxon.incidents.get(check.claims.i);
    if (!incident || incident.tenant !== check.claims.t) return void reply.code(404).send(line('Klaxon', 'No such incident.'));
    const hash = createHash('sha256').update(token).digest('hex');
    const used = await app.klaxon.db.pool.query('SELECT 1 FROM used_links WHERE token_hash = $1', [hash]);
    if (used.rowCount) return void reply.code(410).send(line('Klaxon', `${incident.title}: this link has already been used.`));
    return { incident, claims: check.claims, hash };
  }

  app.get<{ Params: { token: string } }>('/a/:token', async (request, reply) => {
    const found = await resolveLink(request.params.token, reply);
    if (!found) return reply;
    const { incident } = found;
    return reply.send(
      page(
        `Acknowledge ${incident.title}?`,
        `<h1>${esc(incident.title)}</h1><p>Status: ${esc(incident.status)} · severity ${esc(incident.severity)} · since ${esc(incident.startedAt)}</p>` +
          `<form method="post" action="/a/${esc(request.params.token)}"><button type="submit">Acknowledge</button></form>`,
      ),
    );
  });

  app.post<{ Params: { token: string } }>('/a/:token', async (request, reply) => {
    const found = await resolveLink(request.params.token, reply);
    if (!found) return reply;
    const { incident, claims, hash } = found;
    // Claimed before acting: of two clicks racing, one acts and the other is told the link is used.
    const claimed = await app.klaxon.db.pool.query('INSERT INTO used_links (token_hash, incident_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [hash, incident.id]);
    if (!claimed.rowCount) return reply.code(410).send(line('Klaxon', `${incident.title}: this link has already been used.`));
    const outcome = await applyAction(app.klaxon, incident, 'ack', acknowledgeUpdate, { actor: claims.u ?? 'one-click link' });
    if (!outcome.ok && outcome.unavailable) {
      // Not confirmed: give the link back so the person can press again.
      await app.klaxon.db.pool.query('DELETE FROM used_links WHERE token_hash = $1', [hash]).catch(() => undefined);
      return reply.code(503).header('retry-after', String(outcome.unavailable.retryAfterS)).send(line('Klaxon', `${incident.title}: ${outcome.message}.`));
    }
    if (!outcome.ok) return reply.code(409).send(line('Klaxon', `${incident.title}: not acknowledged, ${outcome.message}.`));
    return reply.send(line('Acknowledged', `${incident.title}: acknowledged by ${outcome.state.acknowledgedBy}.`));
  });

  /**
   * A runbook's approval request (`/r/<token>`): GET shows the request and two buttons, POST with
   * `decision=approve|deny` answers it, once, as the person the link was sent to.
   */
  app.get<{ Params: { token: string } }>('/r/:token', async (request, reply) => {
    const found = await resolveLink(request.params.token, reply, 'approve');
    if (!found) return reply;
    const { incident, claims } = found;
    const action = `/r/${esc(request.params.token)}`;
    const form = (decision: string, label: string) => `<form method="post" action="${action}"><input type="hidden" name="decision" value="${decision}"><button type="submit">${label}</button></form>`;
    return reply.send(
      page(
        `Approve a runbook for ${incident.title}?`,
        `<h1>${esc(incident.title)}</h1><p>Runbook run <code>${esc(claims.r ?? '')}</code> asks for approval. Status: ${esc(incident.status)}.</p>${form('approve', 'Approve')}${form('deny', 'Deny')}`,
      ),
    );
  });

  app.post<{ Params: { token: string }; Body: string | undefined }>('/r/:token', async (request, reply) => {
    const found = await resolveLink(request.params.token, reply, 'approve');
    if (!found) return reply;
    const { incident, claims, hash } = found;
    const decision = new URLSearchParams(typeof request.body === 'string' ? request.body : '').get('decision');
    if (decision !== 'approve' && decision !== 'deny') return reply.code(400).send(line('Klaxon', 'decision: approve or deny is required.'));
    const claimed = await app.klaxon.db.pool.query('INSERT INTO used_links (token_hash, incident_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [hash, incident.id]);
    if (!claimed.rowCount) return reply.code(410).send(line('Klaxon', `${incident.title}: this link has already been used.`));
    const actor = claims.u ?? 'approval link';
    const out = await sendUpdate(app.klaxon.temporal, app.klaxon.temporal.workflow.getHandle(claims.r ?? ''), runbookDecisionUpdate, { actor, approve: decision === 'approve', ...(claims.u ? { approver: claims.u } : {}) }, `${decision} of ${claims.r}`);
    if (!out.ok && out.unavailable) {
      // Not confirmed: give the link back so the person can press again.
      await app.klaxon.db.pool.query('DELETE FROM used_links WHERE token_hash = $1', [hash]).catch(() => undefined);
      return reply.code(503).header('retry-after', String(out.unavailable.retryAfterS)).send(line('Klaxon', out.message));
    }
    if (!out.ok) return reply.code(409).send(line('Klaxon', `${incident.title}: not ${decision === 'approve' ? 'approved' : 'denied'}, ${out.message}.`));
    return reply.send(line(decision === 'approve' ? 'Approved' : 'Denied', `${incident.title}: ${decision === 'approve' ? 'approved' : 'denied'} by ${actor}.`));
  });
};
