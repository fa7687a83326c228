import { gzipSync } from 'node:zlib';
import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { incidentEvent } from './incidentEvent';

/**
 * New Relic Event API (https://docs.newrelic.com/docs/data-apis/ingest-apis/event-api/introduction-event-api/):
 * POST https://insights-collector.newrelic.com/v1/accounts/{accountId}/events with `Api-Key: <license key>`
 * and a JSON array of flat events, each with `eventType` (here KlaxonIncident, one per incident
 * change, queryable with NRQL: `FROM KlaxonIncident SELECT … WHERE incidentId = '…'`). Optionally
 * gzip-compressed (`Content-Encoding: gzip`).
 */

type NewRelicConfig = ReceiverOf<'newrelic'>;

/** "Attribute values … string values: maximum length 4096 characters" (Event API, limits and restricted characters). */
const STRING_MAX = 4096;

const COLLECTOR = { us: 'https://insights-collector.newrelic.com', eu: 'https://insights-collector.eu01.nr-data.net' };

export function newrelicUrl(c: NewRelicConfig): string {
  return `${(c.apiUrl ?? COLLECTOR[c.region]).replace(/\/+$/, '')}/v1/accounts/${encodeURIComponent(c.accountId)}/events`;
}

export function newrelicEvent(c: NewRelicConfig, m: NotificationMessage, now: Date) {
  const event = incidentEvent(m, STRING_MAX) as unknown as Record<string, string | number>;
  const flat = Object.fromEntries(Object.entries(event).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, STRING_MAX) : v]));
  // `timestamp`: Unix epoch; the event is dated by the change, not by ingestion.
  return { eventType: c.eventType, timestamp: Math.floor(now.getTime() / 1000), ...flat };
}

async function post(c: NewRelicConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  const key = c.apiKey.reveal();
  const json = JSON.stringify([newrelicEvent(c, m, ctx.now())]);
  const res = await ctx.http.send({
    url: newrelicUrl(c),
    headers: { 'api-key': key, 'content-type': 'application/json', ...(c.gzip ? { 'content-encoding': 'gzip' } : {}) },
    body: c.gzip ? gzipSync(json) : json,
    timeoutMs: c.timeout,
    secrets: [key],
  });
  // 200 {"success":true,"uuid":"…"}: accepted for asynchronous processing.
  const out = res.json<{ success?: boolean; uuid?: string }>();
  return { thread: { incidentId: m.incident.id }, response: `${m.kind} event ${out.uuid ?? res.status}` };
}

export const newrelicNotifier: Notifier<'newrelic'> = {
  type: 'newrelic',
  repageInThread: true,
  send: post,
  update: post,
};
