import type { FastifyPluginAsync } from 'fastify';
import { verifyLink } from '../../links/oneClick';
import type { IncidentRow } from '../../store/incidents';
import { readTimeline, type TimelineItem } from '../../incident/timeline';
import { esc, htmlLine, htmlPage } from '../html';

/**
 * `GET /i/<token>`: the incident as a page a person can read from a phone, reached from the
 * "Incident" link in every message. The signed `view` token is the credential (no API token, no
 * login): read-only, usable any number of times until it expires (server.pageLinkTtl).
 */
export const incidentPagePlugin: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { token: string } }>('/i/:token', async (request, reply) => {
    // The token is in the URL: keep it out of caches and of the Referer of links on the page.
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    const key = app.klaxon.config.config.server.linkSigningKey;
    if (!key) return reply.code(404).send(htmlLine('Klaxon', 'Incident pages are not enabled.'));
    const check = verifyLink(request.params.token, key.reveal());
    if (!check.ok) return reply.code(check.reason === 'expired' ? 410 : 400).send(htmlLine('Klaxon', `This link is ${check.reason === 'expired' ? 'expired' : 'not valid'}.`));
    // Only page links: a one-click ack link is single-use and must not double as a reading pass.
    if (check.claims.a !== 'view') return reply.code(400).send(htmlLine('Klaxon', 'This link is not valid.'));
    const incident = await app.klaxon.incidents.get(check.claims.i);
    if (!incident || incident.tenant !== check.claims.t) return reply.code(404).send(htmlLine('Klaxon', 'No such incident.'));
    const timeline = await readTimeline(app.klaxon, incident);
    const { temporalUiUrl } = app.klaxon.config.config.server;
    const workflowUrl = `${temporalUiUrl}/namespaces/${encodeURIComponent(app.klaxon.temporal.options.namespace)}/workflows/${encodeURIComponent(incident.workflowId)}/${incident.runId}/history`;
    return reply.send(incidentHtml(incident, timeline, workflowUrl));
  });
};

export function incidentHtml(incident: IncidentRow, timeline: TimelineItem[], workflowUrl: string): string {
  const facts: Array<[string, string | null]> = [
    ['Status', incident.status],
    ['Severity', incident.severity === incident.declaredSeverity ? incident.severity : `${incident.severity} (declared ${incident.declaredSeverity})`],
    ['Started', incident.startedAt],
    ['Acknowledged', incident.acknowledgedAt && `${incident.acknowledgedAt} by ${incident.acknowledgedBy ?? 'someone'}`],
    ['Resolved', incident.resolvedAt],
    ['Paged', pagedReceivers(timeline).join(', ') || 'nobody yet'],
  ];
  const labels = Object.entries(incident.labels).map(([k, v]) => `<code>${esc(k)}="${esc(v)}"</code>`).join(' ');
  const rows = timeline.map((e) => `<tr><td>${esc(e.at)}</td><td>${esc(e.kind)}</td><td>${esc(e.actor)}</td><td>${esc(summary(e.details))}</td></tr>`).join('');
  return htmlPage(
    incident.title,
    `<h1 class="s-${esc(incident.status)}">${esc(incident.title)}</h1>` +
      `<table>${facts.filter(([, v]) => v).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v!)}</td></tr>`).join('')}</table>` +
      `<p>${labels}</p>` +
      `<p><a href="${esc(workflowUrl)}">Open the workflow in the Temporal Web UI</a></p>` +
      `<h2>Timeline</h2><table><tr><th>When</th><th>What</th><th>Who</th><th>Details</th></tr>${rows}</table>`,
  );
}

/** Who was paged, from the audit trail ("notified" for a firing or escalated message). */
function pagedReceivers(timeline: TimelineItem[]): string[] {
  const paged = timeline.flatMap((e) => (e.kind === 'notified' && (e.details.kind === 'firing' || e.details.kind === 'escalated') ? [e.details as Record<string, unknown>] : []));
  return [...new Set(paged.map((d) => `${d.receiver}${d.user ? ` (${d.user})` : ''}`))];
}

/** One line per event: its details as key=value, long values cut (the API has them whole). */
function summary(details: object): string {
  return Object.entries(details)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return `${k}=${text.length > 120 ? `${text.slice(0, 119)}…` : text}`;
    })
    .join(' ');
}
