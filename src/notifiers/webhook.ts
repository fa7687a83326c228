import { createHmac } from 'node:crypto';
import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, Notifier, NotificationMessage, NotifierContext } from './types';

/** HMAC-SHA256 of the exact body bytes, hex, as `sha256=<hex>` (GitHub's convention, easy to verify). */
export function signBody(body: string, key: string): string {
  return 'sha256=' + createHmac('sha256', key).update(body).digest('hex');
}

/** Alertmanager-compatible body, so existing webhook consumers can take Klaxon's messages as they are. */
export function alertmanagerBody(m: NotificationMessage) {
  const inc = m.incident;
  return {
    version: '4',
    groupKey: inc.id,
    truncatedAlerts: 0,
    status: inc.status === 'resolved' ? 'resolved' : 'firing',
    receiver: 'klaxon',
    groupLabels: {},
    commonLabels: inc.commonLabels,
    commonAnnotations: {},
    externalURL: inc.links.incident,
    alerts: inc.alerts.map((a) => ({ ...a, endsAt: a.endsAt ?? '0001-01-01T00:00:00Z', generatorURL: a.generatorURL ?? '' })),
  };
}

function klaxonBody(m: NotificationMessage) {
  const { timeline: _timeline, ...incident } = m.incident;
  return { kind: m.kind, title: m.title, text: m.text, idempotencyKey: m.idempotencyKey, incident, ...(m.recipient ? { recipient: m.recipient } : {}) };
}

/**
 * The generic webhook posts every moment of the incident the same way; the consumer tells them
 * apart by `kind` (klaxon format) or by the alerts' statuses (alertmanager format). It returns the
 * group key as its thread, so a partial resolve (`updated`) reaches it too. In the alertmanager
 * format that is the body Alertmanager itself sends for a group some of whose alerts resolved: the
 * same groupKey, group status still "firing", each alert with its own status "firing"|"resolved"
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config), so consumers written
 * for Alertmanager handle it as they already do.
 */
async function post(config: ReceiverOf<'webhook'>, message: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  const body = JSON.stringify(config.format === 'alertmanager' ? alertmanagerBody(message) : klaxonBody(message));
  const headers: Record<string, string> = {
    ...config.headers,
    'content-type': 'application/json',
    'idempotency-key': message.idempotencyKey,
  };
  if (config.secret) headers['x-klaxon-signature'] = signBody(body, config.secret.reveal());
  const res = await ctx.http.send({
    url: config.url.reveal(),
    headers,
    body,
    timeoutMs: config.timeout,
    secrets: [config.url.reveal(), ...(config.secret ? [config.secret.reveal()] : [])],
  });
  return { thread: { groupKey: message.incident.id }, response: `${res.status}` };
}

export const webhookNotifier: Notifier<'webhook'> = {
  type: 'webhook',
  directMessages: true,
  send: post,
  update: post,
};
