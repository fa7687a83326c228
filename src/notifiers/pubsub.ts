import { createSign } from 'node:crypto';
import type { ReceiverOf } from '../config/receivers';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { DeliveryError } from './errors';
import { incidentEvent } from './incidentEvent';

/**
 * GCP Pub/Sub topics.publish (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/publish):
 * POST /v1/projects/{project}/topics/{topic}:publish with {"messages":[{"data": base64, "attributes": {…}}]}.
 * The incident change is the JSON data; kind, incident id, tenant, severity and status are also
 * attributes, so subscriptions can filter on them without reading the data.
 *
 * Auth is a self-signed JWT from the service account's key, sent as the bearer token: "you can use
 * a JWT directly as a bearer token, rather than using an OAuth 2.0 access token" with
 * `aud` = the API's endpoint, https://pubsub.googleapis.com/
 * (https://developers.google.com/identity/protocols/oauth2/service-account#jwt-auth). No token
 * endpoint round trip, nothing cached; the JWT is signed RS256 with node:crypto.
 */

type PubSubConfig = ReceiverOf<'pubsub'>;

const AUDIENCE = 'https://pubsub.googleapis.com/';
/** "a maximum of 1 hour" for the JWT's lifetime (exp - iat). */
const JWT_TTL_S = 3600;
/** Attribute values: "maximum size 1024 bytes" (https://cloud.google.com/pubsub/quotas#resource_limits). */
const ATTRIBUTE_MAX = 1024;

interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

/** The key, or a final error naming the field: a bad key will not get better by retrying. */
export function serviceAccountKey(c: PubSubConfig): ServiceAccountKey {
  let key: Partial<ServiceAccountKey>;
  try {
    key = JSON.parse(c.credentials.reveal()) as Partial<ServiceAccountKey>;
  } catch {
    throw new DeliveryError('pubsub: credentials is not JSON (expected the service account\'s JSON key)', { retryable: false });
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string' || !key.private_key.includes('PRIVATE KEY')) {
    throw new DeliveryError('pubsub: credentials has no client_email and private_key (expected the service account\'s JSON key)', { retryable: false });
  }
  return key as ServiceAccountKey;
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export function selfSignedJwt(key: ServiceAccountKey, now: Date): string {
  const iat = Math.floor(now.getTime() / 1000);
  const head = b64url({ alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) });
  const claims = b64url({ iss: key.client_email, sub: key.client_email, aud: AUDIENCE, iat, exp: iat + JWT_TTL_S });
  let sig: string;
  try {
    sig = createSign('RSA-SHA256').update(`${head}.${claims}`).sign(key.private_key, 'base64url');
  } catch {
    throw new DeliveryError('pubsub: credentials.private_key is not a usable RSA private key', { retryable: false });
  }
  return `${head}.${claims}.${sig}`;
}

export function pubsubMessage(c: PubSubConfig, m: NotificationMessage) {
  const event = incidentEvent(m);
  const attr = (v: string) => Buffer.from(v).subarray(0, ATTRIBUTE_MAX).toString('utf8').replace(/\uFFFD$/, '');
  return {
    data: Buffer.from(JSON.stringify(event)).toString('base64'),
    attributes: {
      kind: m.kind,
      incidentId: attr(event.incidentId),
      tenant: attr(event.tenant),
      severity: event.severity,
      status: event.status,
      idempotencyKey: attr(m.idempotencyKey),
    },
    ...(c.orderingKey ? { orderingKey: event.incidentId } : {}),
  };
}

async function publish(c: PubSubConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  const key = serviceAccountKey(c);
  const jwt = selfSignedJwt(key, ctx.now());
  const res = await ctx.http.send({
    url: `${c.apiUrl.replace(/\/+$/, '')}/v1/projects/${encodeURIComponent(c.project)}/topics/${encodeURIComponent(c.topic)}:publish`,
    headers: { authorization: `Bearer ${jwt}` },
    body: { messages: [pubsubMessage(c, m)] },
    timeoutMs: c.timeout,
    secrets: [jwt, key.private_key],
  });
  // 200 {"messageIds":["…"]}
  const id = res.json<{ messageIds?: string[] }>().messageIds?.[0];
  if (!id) throw new DeliveryError(`pubsub answered ${res.status} without a message id`, { retryable: false, status: res.status });
  return { thread: { incidentId: m.incident.id }, response: `${m.kind} message ${id}` };
}

export const pubsubNotifier: Notifier<'pubsub'> = {
  type: 'pubsub',
  repageInThread: true,
  send: publish,
  update: publish,
};
