import type { ReceiverOf } from '../config/receivers';
import type { NotificationMessage, Notifier, NotifierContext } from './types';
import { DeliveryError } from './errors';
import { appendPath } from './format';
import { cutWithEllipsis } from './truncate';
import { fitMessageText } from './fitMessage';

/**
 * Splunk On-Call (VictorOps) REST endpoint integration: POST …/alert/{api_key}/{routing_key} with a
 * message_type. entity_id = incident id ties CRITICAL/WARNING/INFO, ACKNOWLEDGEMENT and RECOVERY
 * to the same Splunk On-Call incident.
 */

type VictorOpsConfig = ReceiverOf<'victorops'>;

const TEXT_MAX = 20_000;

export function victoropsMessageType(m: NotificationMessage): 'CRITICAL' | 'WARNING' | 'INFO' | 'ACKNOWLEDGEMENT' | 'RECOVERY' {
  if (m.kind === 'resolved') return 'RECOVERY';
  if (m.kind === 'acknowledged') return 'ACKNOWLEDGEMENT';
  // A partial resolve is INFO: "Displays an entry in the timeline, without opening an incident. An
  // INFO value cannot trigger escalation or paging"; only ACKNOWLEDGEMENT and RECOVERY move an
  // incident's state (https://help.splunk.com/en/splunk-observability-cloud/splunk-on-call/alerts/incident-fields-glossary,
  // message_type). CRITICAL/WARNING for the same entity_id would be a re-page.
  if (m.kind === 'test' || m.kind === 'updated') return 'INFO';
  return ({ critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' } as const)[m.incident.severity];
}

export function victoropsBody(m: NotificationMessage) {
  const inc = m.incident;
  const type = victoropsMessageType(m);
  return {
    message_type: type,
    entity_id: inc.id,
    entity_display_name: cutWithEllipsis(m.title, 512),
    state_message: `${fitMessageText(m, TEXT_MAX)}\n\nKlaxon incident: ${inc.links.incident}`,
    state_start_time: Math.floor(Date.parse(inc.startedAt) / 1000),
    monitoring_tool: 'klaxon',
    ...(type === 'ACKNOWLEDGEMENT' && inc.acknowledgedBy ? { ack_author: inc.acknowledgedBy } : {}),
  };
}

async function post(c: VictorOpsConfig, m: NotificationMessage, ctx: NotifierContext) {
  const key = c.apiKey.reveal();
  const res = await ctx.http.send({ url: appendPath(c.apiUrl, key, c.routingKey), body: victoropsBody(m), timeoutMs: c.timeout, secrets: [key] });
  // {"result":"success","entity_id":"…"} or {"result":"failure","message":"…"}
  const out = res.json<{ result?: string; entity_id?: string; message?: string }>();
  if (out.result !== 'success') throw new DeliveryError(`splunk on-call refused the alert: ${out.message ?? res.text.slice(0, 200)}`, { retryable: false, status: res.status, vendorMessage: out.message });
  return { thread: { entityId: out.entity_id ?? m.incident.id }, response: `${victoropsMessageType(m)} accepted` };
}

export const victoropsNotifier: Notifier<'victorops'> = {
  type: 'victorops',
  repageInThread: true,
  maxTextLength: TEXT_MAX,
  send: post,
  update: post,
};
