import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { DeliveryError } from './errors';
import { incidentEvent } from './incidentEvent';

/**
 * Splunk HTTP Event Collector (https://docs.splunk.com/Documentation/Splunk/latest/Data/HECExamples,
 * https://docs.splunk.com/Documentation/Splunk/latest/RESTREF/RESTinput#services.2Fcollector.2Fevent):
 * POST /services/collector/event with `Authorization: Splunk <token>` and
 * {"time","host","source","sourcetype","index","event"}. One event per incident change (firing,
 * acknowledged, resolved, partial resolve), all carrying the incident id, so a search joins them.
 */

type SplunkConfig = ReceiverOf<'splunk'>;

/** HEC answers {"text":"Success","code":0}; any other code is a refusal (https://docs.splunk.com/Documentation/Splunk/latest/Data/TroubleshootHTTPEventCollector#Possible_error_codes). */
type HecAnswer = { text?: string; code?: number };

export function splunkEvent(c: SplunkConfig, m: NotificationMessage, now: Date) {
  return {
    // Seconds since the epoch, with milliseconds as the fraction ("time": "<epoch>.<ms>").
    time: Math.floor(now.getTime()) / 1000,
    ...(c.host ? { host: c.host } : {}),
    source: c.source,
    sourcetype: c.sourcetype,
    ...(c.index ? { index: c.index } : {}),
    event: incidentEvent(m),
  };
}

async function post(c: SplunkConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  const token = c.token.reveal();
  const res = await ctx.http.send({
    url: `${c.url.replace(/\/+$/, '')}/services/collector/event`,
    headers: { authorization: `Splunk ${token}` },
    body: splunkEvent(c, m, ctx.now()),
    timeoutMs: c.timeout,
    secrets: [token],
  });
  const out = res.json<HecAnswer>();
  if (out.code !== 0) throw new DeliveryError(`splunk HEC refused the event: ${out.text ?? res.text.slice(0, 200)} (code ${out.code})`, { retryable: false, status: res.status, vendorMessage: out.text });
  return { thread: { incidentId: m.incident.id }, response: `${m.kind} event ${out.text}` };
}

export const splunkNotifier: Notifier<'splunk'> = {
  type: 'splunk',
  repageInThread: true,
  send: post,
  update: post,
};
