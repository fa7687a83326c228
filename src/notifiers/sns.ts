import { createHash } from 'node:crypto';
import { PublishCommand, SNSClient, type MessageAttributeValue, type PublishCommandInput } from '@aws-sdk/client-sns';
import { snsTopicRegion, type ReceiverOf } from '../config/receivers';
import { redact } from '../config/secret';
import type { DeliveryResult, NotificationMessage, Notifier, NotifierContext } from './types';
import { DeliveryError, parseRetryAfter } from './errors';
import { fitMessageText } from './fitMessage';
import { incidentEvent } from './incidentEvent';
import { statusTitle } from './format';

/**
 * AWS SNS Publish (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html) through the official
 * SDK, which signs with SigV4. One message per incident change; kind, incident id, tenant,
 * severity, status, alertname and the idempotency key are also message attributes, so subscription
 * filter policies can route on them without reading the body.
 *
 * Klaxon owns retries (the notify activity's policy, the ledger's lease, the circuit breaker), so
 * the SDK makes exactly one attempt (`maxAttempts: 1`) and every failure comes back classified:
 * throttling, 5xx and network errors are retryable, the rest (auth, a missing topic, a rejected
 * parameter) final, with a message naming the receiver field to fix.
 */

type SnsConfig = ReceiverOf<'sns'>;

/**
 * MessageGroupId and MessageDeduplicationId: "up to 128 alphanumeric characters (a-z, A-Z, 0-9) and
 * punctuation (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~)" (API_Publish), i.e. printable ASCII without space.
 */
const FIFO_ID = /^[\x21-\x7e]{1,128}$/;
/** Subject: "ASCII text … must not include line breaks or control characters; … less than 100 characters" (API_Publish). */
const SUBJECT_MAX = 99;
/**
 * Message and attributes together: at most 256 KB (262,144 bytes)
 * (https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html). 50,000 characters
 * stay below it even at 4 bytes a character, with room for the attributes.
 */
const TEXT_MAX = 50_000;

export const isFifoTopic = (c: Pick<SnsConfig, 'topicArn'>) => c.topicArn.endsWith('.fifo');

/** The value itself when SNS accepts it as a FIFO id, else its SHA-256 (64 hex characters): still one id per value. */
export function fifoId(value: string): string {
  return FIFO_ID.test(value) ? value : createHash('sha256').update(value).digest('hex');
}

/** The title as an e-mail subscriber's subject: ASCII, one line, under 100 characters; undefined when nothing is left. */
export function snsSubject(title: string): string | undefined {
  const ascii = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
  // "must begin with a letter, number, or punctuation mark": the trim above leaves no leading space.
  if (!ascii) return undefined;
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

/**
 * "Name, type, and value must not be empty or null" (API_MessageAttributeValue), so an empty value
 * (an incident without alertname) is left out. Seven attributes: an SQS subscription with raw
 * delivery takes at most 10 (https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html).
 */
export function snsAttributes(m: NotificationMessage): Record<string, MessageAttributeValue> {
  const inc = m.incident;
  const values: Record<string, string> = {
    kind: m.kind,
    incidentId: inc.id,
    tenant: inc.tenant,
    severity: inc.severity,
    status: inc.status,
    alertname: inc.alertname,
    idempotencyKey: m.idempotencyKey,
  };
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]));
}

/**
 * The Publish request. No MessageStructure: "Message attributes are sent only when the message
 * structure is String, not JSON" (sns-message-attributes.html). On a FIFO topic the incident is the
 * message group (its changes arrive in order) and the delivery's idempotency key is the
 * deduplication id: SNS's own dedup, so a retry of a publish whose answer was lost is "accepted
 * successfully but [not] delivered" within the 5-minute interval
 * (https://docs.aws.amazon.com/sns/latest/dg/fifo-message-dedup.html).
 */
export function publishInput(c: SnsConfig, m: NotificationMessage): PublishCommandInput {
  const body = c.format === 'text' ? `${statusTitle(m)}\n\n${fitMessageText(m, TEXT_MAX)}` : JSON.stringify(incidentEvent(m));
  return {
    TopicArn: c.topicArn,
    Message: body,
    Subject: snsSubject(statusTitle(m)),
    MessageAttributes: snsAttributes(m),
    ...(isFifoTopic(c) ? { MessageGroupId: fifoId(m.incident.id), MessageDeduplicationId: fifoId(m.idempotencyKey) } : {}),
  };
}

/**
 * One client per receiver config (a reload makes new config objects, so new clients): it keeps its
 * connections and, with the default chain, its cached credentials between sends.
 */
const clients = new WeakMap<SnsConfig, SNSClient>();

function clientFor(c: SnsConfig): SNSClient {
  let client = clients.get(c);
  if (!client) {
    client = new SNSClient({
      region: snsTopicRegion(c.topicArn),
      endpoint: c.endpoint,
      // Unset: the SDK's default chain (env, shared config/SSO, web identity, ECS/EC2 role).
      credentials: c.accessKeyId && c.secretAccessKey ? { accessKeyId: c.accessKeyId.reveal(), secretAccessKey: c.secretAccessKey.reveal(), sessionToken: c.sessionToken?.reveal() } : undefined,
      // Klaxon's retry policy is the only one: a hidden SDK retry would outlive the ledger's lease.
      maxAttempts: 1,
      requestHandler: { connectionTimeout: c.timeout, requestTimeout: c.timeout },
    });
    clients.set(c, client);
  }
  return client;
}

/** What an AWS SDK error carries (@smithy ServiceException); network errors have no $metadata. */
interface AwsError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/**
 * Throttling error codes. SNS: ThrottledException (429) and KMSThrottlingException (400)
 * (API_Publish, Errors); Throttling (400) is the Query protocol's common code for a request rate
 * over the account's limit (https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html).
 */
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'Throttled', 'KMSThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);

/**
 * The receiver field a final error is about. Common errors (CommonErrors.html): InvalidClientTokenId
 * "The X.509 certificate or AWS access key ID provided does not exist", SignatureDoesNotMatch (the
 * secret does not match the key), ExpiredToken; Publish's own (API_Publish): AuthorizationError
 * (the credentials may not publish to the topic), NotFound (no such topic), KMS* (the topic's key).
 */
function fieldOf(code: string, c: SnsConfig): string {
  if (code === 'InvalidClientTokenId' || code === 'UnrecognizedClientException') return c.accessKeyId ? 'accessKeyId' : 'accessKeyId (from the default credential chain)';
  if (code === 'SignatureDoesNotMatch' || code === 'IncompleteSignature') return c.secretAccessKey ? 'secretAccessKey' : 'secretAccessKey (from the default credential chain)';
  if (code === 'ExpiredToken' || code === 'ExpiredTokenException' || code === 'RequestExpired') return c.sessionToken ? 'sessionToken' : 'the credentials (expired)';
  if (code === 'AuthorizationError' || code === 'AccessDenied' || code === 'AccessDeniedException') return 'topicArn (the credentials may not sns:Publish to it)';
  if (code === 'NotFound' || code === 'NotFoundException') return 'topicArn (no such topic in its region)';
  if (code.startsWith('KMS')) return "topicArn (the topic's KMS key)";
  return 'topicArn';
}

/** Retryable or final, never with a secret in it (the SDK's messages for SignatureDoesNotMatch quote the string to sign). */
export function snsError(err: unknown, c: SnsConfig, cancelled: boolean, timeoutMs: number): DeliveryError {
  const e = err as AwsError;
  const secrets = [c.accessKeyId, c.secretAccessKey, c.sessionToken].filter((s) => !!s).map((s) => s!.reveal());
  const vendorMessage = redact((e.message ?? String(err)).slice(0, 300), secrets);
  const status = e.$metadata?.httpStatusCode;
  const code = e.name ?? 'Error';
  if (status === undefined) {
    // No answer from SNS: refused, reset, timed out or cancelled. The publish may or may not have
    // happened, which is what the idempotency key (FIFO dedup, the consumer's check) is for.
    const why = cancelled ? 'cancelled' : code === 'AbortError' || code === 'TimeoutError' ? `no answer within ${timeoutMs / 1000}s` : `${code}: ${vendorMessage}`;
    // The default credential chain found nothing (or the instance role endpoint did not answer):
    // retried, as a role endpoint can be briefly unreachable; configuring keys fixes it for good.
    const hint = code === 'CredentialsProviderError' ? ' (no AWS credentials: set accessKeyId and secretAccessKey, or give Klaxon a role)' : '';
    return new DeliveryError(`sns: Publish to ${c.topicArn} failed: ${why}${hint}`, { retryable: true });
  }
  const throttled = THROTTLING.has(code) || status === 429;
  if (throttled || status >= 500 || e.$fault === 'server') {
    const retryAfterMs = parseRetryAfter(e.$response?.headers?.['retry-after']);
    return new DeliveryError(`sns: ${throttled ? 'throttled' : 'server error'} (${code}, ${status}): ${vendorMessage}`, { retryable: true, status, retryAfterMs, vendorMessage });
  }
  return new DeliveryError(`sns: AWS rejected ${fieldOf(code, c)}: ${code} (${status}): ${vendorMessage}`, { retryable: false, status, vendorMessage });
}

async function publish(c: SnsConfig, m: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult> {
  const command = new PublishCommand(publishInput(c, m));
  // After signing, right before the bytes go out: the notify activity's last lease check.
  command.middlewareStack.add(
    (next) => (args) => {
      ctx.beforeRequest?.();
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'klaxonBeforeRequest' },
  );
  // The receiver's timeout bounds the whole publish; the delivery's signal cancels it (an ack mid-send).
  const timeout = AbortSignal.timeout(c.timeout);
  const abortSignal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  try {
    const out = await clientFor(c).send(command, { abortSignal });
    if (!out.MessageId) throw new DeliveryError(`sns answered without a MessageId`, { retryable: false });
    return { thread: { incidentId: m.incident.id }, response: `${m.kind} message ${out.MessageId}${out.SequenceNumber ? ` (sequence ${out.SequenceNumber})` : ''}` };
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    throw snsError(err, c, !!ctx.signal?.aborted, c.timeout);
  }
}

export const snsNotifier: Notifier<'sns'> = {
  type: 'sns',
  repageInThread: true,
  send: publish,
  update: publish,
};
