import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { basicAuth } from './http';
import { incidentEvent } from './incidentEvent';

/**
 * xMatters Flow Designer HTTP trigger, the "inbound integration" of a workflow
 * (https://help.xmatters.com/ondemand/flowdesigner/http-trigger.htm): POST JSON to the trigger URL,
 * authenticated by the apiKey in the URL or by basic auth; the flow reads the request body's
 * fields. Every change of the incident goes to the same trigger with the same `incidentId`, and
 * `status` says which it is (firing, acknowledged, resolved, updated), so the flow creates the
 * xMatters alert once and terminates or annotates it on the updates. `properties` holds the
 * incident's attributes flat, as xMatters form properties are.
 */

type XmattersConfig = ReceiverOf<'xmatters'>;

const PRIORITY = { critical: 'HIGH', warning: 'MEDIUM', info: 'LOW' } as const;

export function xmattersBody(m: NotificationMessage) {
  const event = incidentEvent(m);
  return {
    incidentId: m.incident.id,
    status: m.kind,
    priority: PRIORITY[m.incident.severity],
    title: m.title,
    text: event.text,
    url: m.incident.links.incident,
    ...(m.incident.links.ack ? { ackUrl: m.incident.links.ack } : {}),
    properties: event,
  };
}

async function post(c: XmattersConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  const url = c.url.reveal();
  const res = await ctx.http.send({
    url,
    headers: c.username && c.password ? { authorization: basicAuth(c.username, c.password.reveal()) } : {},
    body: xmattersBody(m),
    timeoutMs: c.timeout,
    secrets: [url, ...(c.password ? [c.password.reveal()] : [])],
  });
  // 202 {"requestId":"…"}: the flow runs asynchronously.
  const requestId = res.text ? res.json<{ requestId?: string }>().requestId : undefined;
  return { thread: { incidentId: m.incident.id, ...(m.thread ?? {}), ...(!m.thread && requestId ? { requestId } : {}) }, response: `${m.kind} request ${requestId ?? res.status}` };
}

export const xmattersNotifier: Notifier<'xmatters'> = {
  type: 'xmatters',
  repageInThread: true,
  send: post,
  update: post,
};
