import { createHmac } from 'node:crypto';
import type { Notifier, NotificationMessage } from './types';

/** HMAC-SHA256 of the exact body bytes, hex, as `sha256=<hex>` (GitHub's convention, easy to verify). */
export function signBody(body: string, key: string): string {
  return 'sha256=' + createHmac('sha256', key).update(body).digest('hex');
}

/** Alertmanager-compatible body, so existing webhook consumers can take Klaxon's messages as they are. */
function alertmanagerBody(m: NotificationMessage) {
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

export const webhookNotifier: Notifier<'webhook'> = {
  type: 'webhook',
  async send(config, message, ctx) {
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
    return { response: `${res.status}` };
  },
};
