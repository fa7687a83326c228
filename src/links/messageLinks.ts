import type { IncidentView } from '../incident/view';
import { signLink } from './oneClick';

export interface LinkSettings {
  publicUrl: string;
  linkSigningKey?: { reveal(): string };
  linkTtl: number;
  pageLinkTtl: number;
}

/**
 * Klaxon's read-only incident page for a tenant's incident (signed, valid for pageLinkTtl), or
 * undefined when links are not signed. Also the Web UI's static details link to it.
 */
export function incidentPageLink(incidentId: string, tenant: string, server: LinkSettings, now = Date.now(), recipient?: { id: string }): string | undefined {
  const key = server.linkSigningKey?.reveal();
  if (!key) return undefined;
  return `${server.publicUrl}/i/${signLink({ i: incidentId, t: tenant, a: 'view', e: Math.floor((now + server.pageLinkTtl) / 1000), ...(recipient ? { u: recipient.id } : {}) }, key)}`;
}

/**
 * The links a message carries, made when it is sent (signing needs the key, which never enters
 * workflow history). "Incident" must open something a person can use from a phone without an API
 * token: Klaxon's signed incident page when links are signed, else the incident's workflow in the
 * Temporal Web UI. The JSON API stays available as `links.api`.
 */
export function messageLinks(
  incident: IncidentView,
  to: { tenant: string; kind: string; recipient?: { id: string } },
  server: LinkSettings,
  now = Date.now(),
): IncidentView['links'] {
  const { ack: _unsigned, ...links } = incident.links;
  const api = links.api ?? `${server.publicUrl}/api/v1/incidents/${encodeURIComponent(incident.id)}`;
  const key = server.linkSigningKey?.reveal();
  if (!key) return { ...links, api, incident: links.workflow };
  const claims = (a: 'ack' | 'view' | 'approve', until: number) => ({ i: incident.id, t: to.tenant, a, e: Math.floor(until / 1000), ...(to.recipient ? { u: to.recipient.id } : {}) });
  return {
    ...links,
    api,
    incident: incidentPageLink(incident.id, to.tenant, server, now, to.recipient)!,
    // Nothing left to acknowledge once it resolved.
    ...(to.kind !== 'resolved' ? { ack: `${server.publicUrl}/a/${signLink(claims('ack', now + server.linkTtl), key)}` } : {}),
    // A runbook's approval request: answered once, until the request times out; when it names its
    // approvers, only their own messages carry a link (signed for them).
    ...(incident.approval && (!incident.approval.approvers || (to.recipient && incident.approval.approvers.includes(to.recipient.id))) ? { approve: `${server.publicUrl}/r/${signLink({ ...claims('approve', Date.parse(incident.approval.until)), r: incident.approval.runId }, key)}` } : {}),
  };
}
