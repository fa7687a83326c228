import type { FastifyPluginAsync } from 'fastify';
import { verifyLink } from '../../links/oneClick';
import { applyAction } from '../../incident/actions';
import { acknowledgeUpdate } from '../../../workflows/definitions';

function page(title: string, line: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><p>${esc(line)}</p></body></html>`;
}

/** GET /a/<token>: the signed one-click "acknowledge" link in messages; answers one line of HTML. */
export const linksPlugin: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { token: string } }>('/a/:token', async (request, reply) => {
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    const key = app.klaxon.config.config.server.linkSigningKey;
    if (!key) return reply.code(404).send(page('Klaxon', 'One-click links are not enabled.'));
    const check = verifyLink(request.params.token, key.reveal());
    if (!check.ok) return reply.code(check.reason === 'expired' ? 410 : 400).send(page('Klaxon', `This link is ${check.reason === 'expired' ? 'expired' : 'not valid'}.`));
    const incident = await app.klaxon.incidents.get(check.claims.i);
    if (!incident || incident.tenant !== check.claims.t) return reply.code(404).send(page('Klaxon', 'No such incident.'));
    const outcome = await applyAction(app.klaxon, incident, 'ack', acknowledgeUpdate, { actor: check.claims.u ?? 'one-click link' });
    if (!outcome.ok) return reply.code(409).send(page('Klaxon', `${incident.title}: not acknowledged, ${outcome.message}.`));
    return reply.send(page('Acknowledged', `${incident.title}: acknowledged by ${outcome.state.acknowledgedBy}.`));
  });
};
