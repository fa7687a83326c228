import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { withQuery } from './format';
import { incidentEvent } from './incidentEvent';

/**
 * Azure Event Grid custom topic, CloudEvents 1.0 input schema
 * (https://learn.microsoft.com/en-us/azure/event-grid/post-to-custom-topic,
 * https://learn.microsoft.com/en-us/azure/event-grid/cloud-event-schema): POST the topic endpoint
 * with `aeg-sas-key`, `Content-Type: application/cloudevents-batch+json; charset=utf-8` and an
 * array of CloudEvents. `id` is the delivery's idempotency key: "Consumers can assume that events
 * with identical source and id are duplicates" (CloudEvents 1.0 spec, id), so a retried send of
 * unknown outcome is recognisable downstream.
 */

type EventGridConfig = ReceiverOf<'eventgrid'>;

/** "The total size … must be no more than 1 MB"; one event per post keeps far below it (text is fitted). */
export function cloudEvent(c: EventGridConfig, m: NotificationMessage, now: Date) {
  return {
    specversion: '1.0',
    type: `io.klaxon.incident.${m.kind}`,
    source: c.source ?? `/klaxon/${m.incident.tenant}`,
    id: m.idempotencyKey,
    time: now.toISOString(),
    subject: `incidents/${m.incident.id}`,
    datacontenttype: 'application/json',
    data: incidentEvent(m),
  };
}

async function publish(c: EventGridConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  const key = c.key.reveal();
  // api-version is required on the publish URL; 2018-01-01 is the data-plane version the docs use.
  const url = new URL(c.topicEndpoint).searchParams.has('api-version') ? c.topicEndpoint : withQuery(c.topicEndpoint, { 'api-version': '2018-01-01' });
  const res = await ctx.http.send({
    url,
    headers: { 'aeg-sas-key': key, 'content-type': 'application/cloudevents-batch+json; charset=utf-8' },
    body: JSON.stringify([cloudEvent(c, m, ctx.now())]),
    timeoutMs: c.timeout,
    secrets: [key],
  });
  return { thread: { incidentId: m.incident.id }, response: `${m.kind} published (${res.status})` };
}

export const eventgridNotifier: Notifier<'eventgrid'> = {
  type: 'eventgrid',
  repageInThread: true,
  send: publish,
  update: publish,
};
