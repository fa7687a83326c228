import { SNSClient, CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { deliver } from '../../src/notifiers/deliver';
import { snsNotifier } from '../../src/notifiers/sns';
import { incidentEvent } from '../../src/notifiers/incidentEvent';
import { CircuitBreakers } from '../../src/notifiers/circuitBreaker';
import type { NotificationMessage } from '../../src/notifiers/types';
import { awsQuery, startMoto, xmlValues } from '../support/moto';
import { FakeVendor } from '../support/vendors/fakeVendor';
import { ctx, deliveryError, expectNoSecrets, message, receiver } from '../support/vendors/messages';

/**
 * The SNS notifier through the official AWS SDK (SigV4) against a real local AWS: moto's server.
 * Each topic has an SQS queue subscribed with raw delivery off, so what SNS delivered is read back
 * as the SNS envelope (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html):
 * Message, Subject and MessageAttributes ({"Type","Value"}) as a subscriber sees them.
 */

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const REGION = 'us-east-1';

interface Envelope {
  Type: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

interface Received {
  envelope: Envelope;
  attributes: Record<string, string>;
}

let moto: Awaited<ReturnType<typeof startMoto>>;

async function topicWithQueue(name: string): Promise<{ topicArn: string; queueUrl: string }> {
  const fifo = name.endsWith('.fifo');
  const sns = new SNSClient({ region: REGION, endpoint: moto.url, credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET } });
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name, Attributes: fifo ? { FifoTopic: 'true' } : {} }));
  const queueUrl = xmlValues(await awsQuery(moto.url, 'sqs', { Action: 'CreateQueue', QueueName: name, ...(fifo ? { 'Attribute.1.Name': 'FifoQueue', 'Attribute.1.Value': 'true' } : {}) }), 'QueueUrl')[0];
  const queueArn = xmlValues(await awsQuery(moto.url, 'sqs', { Action: 'GetQueueAttributes', QueueUrl: queueUrl, 'AttributeName.1': 'QueueArn' }), 'Value')[0];
  // RawMessageDelivery off (the default): the queue gets SNS's JSON envelope with the attributes in it.
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'false' } }));
  sns.destroy();
  return { topicArn: TopicArn!, queueUrl };
}

/** Everything in the queue now (and deleted from it, so the next read starts empty). */
async function drain(queueUrl: string): Promise<Received[]> {
  const out: Received[] = [];
  for (;;) {
    const xml = await awsQuery(moto.url, 'sqs', { Action: 'ReceiveMessage', QueueUrl: queueUrl, MaxNumberOfMessages: '10', 'AttributeName.1': 'All', WaitTimeSeconds: '0' });
    const messages = [...xml.matchAll(/<Message>([\s\S]*?)<\/Message>/g)].map((m) => m[1]);
    if (messages.length === 0) return out;
    for (const m of messages) {
      const names = xmlValues(m, 'Name');
      const values = xmlValues(m, 'Value');
      out.push({ envelope: JSON.parse(xmlValues(m, 'Body')[0]) as Envelope, attributes: Object.fromEntries(names.map((n, i) => [n, values[i]])) });
      await awsQuery(moto.url, 'sqs', { Action: 'DeleteMessage', QueueUrl: queueUrl, ReceiptHandle: xmlValues(m, 'ReceiptHandle')[0] });
    }
  }
}

const sns = (topicArn: string, extra: Record<string, unknown> = {}, env: Record<string, string> = { AWS_KEY: KEY_ID, AWS_SECRET: SECRET }) =>
  receiver({ type: 'sns', topicArn, endpoint: moto.url, accessKeyId: '${AWS_KEY}', secretAccessKey: '${AWS_SECRET}', ...extra }, env);

const viaDeliver = (r: ReturnType<typeof sns>, m: NotificationMessage, breakers = new CircuitBreakers()) =>
  deliver({ tenant: 'acme', receiverName: 'aws', receiver: r, message: m, mode: 'send' }, ctx(), { breakers });

beforeAll(async () => {
  moto = await startMoto();
}, 60_000);
afterAll(() => moto?.stop());

describe('sns Publish against moto', () => {
  it('publishes the incident change as JSON with subject and message attributes, signed with the configured key', async () => {
    const { topicArn, queueUrl } = await topicWithQueue('klaxon-incidents');
    const m = message('firing');
    const res = await viaDeliver(sns(topicArn), m);
    expect(res.response).toMatch(/^firing message [0-9a-f-]{36}$/);
    expect(res.thread).toEqual({ incidentId: 'inc-7f3a9c' });

    const [got, ...more] = await drain(queueUrl);
    expect(more).toHaveLength(0);
    expect(got.envelope).toMatchObject({ Type: 'Notification', TopicArn: topicArn, Subject: '[FIRING] HighLatency on api (2 alerts)' });
    expect(JSON.parse(got.envelope.Message)).toEqual(JSON.parse(JSON.stringify(incidentEvent(m))));
    expect(got.envelope.MessageAttributes).toEqual({
      kind: { Type: 'String', Value: 'firing' },
      incidentId: { Type: 'String', Value: 'inc-7f3a9c' },
      tenant: { Type: 'String', Value: 'acme' },
      severity: { Type: 'String', Value: 'critical' },
      status: { Type: 'String', Value: 'firing' },
      alertname: { Type: 'String', Value: 'HighLatency' },
      idempotencyKey: { Type: 'String', Value: 'inc-7f3a9c:run-1:0:rcv' },
    });
  });

  it('format text sends the rendered title and text; an ack is a new message with status acknowledged; an empty alertname is no attribute', async () => {
    const { topicArn, queueUrl } = await topicWithQueue('klaxon-mail');
    const r = sns(topicArn, { format: 'text' });
    const ack = message('acknowledged', undefined, { idempotencyKey: 'inc-7f3a9c/ack/aws' });
    ack.incident.alertname = '';
    await viaDeliver(r, ack);
    const [got] = await drain(queueUrl);
    expect(got.envelope.Subject).toBe('[ACKNOWLEDGED] HighLatency on api (2 alerts)');
    expect(got.envelope.Message).toBe(
      '[ACKNOWLEDGED] HighLatency on api (2 alerts)\n\n• HighLatency api-0.prod:9090: p99 latency above 2s on api-0\n• HighLatency api-1.prod:9090: p99 latency above 2s on api-1',
    );
    expect(got.envelope.MessageAttributes?.status).toEqual({ Type: 'String', Value: 'acknowledged' });
    expect(got.envelope.MessageAttributes).not.toHaveProperty('alertname');
  });

  it('FIFO topic: the incident is the message group, the idempotency key the dedup id; a retried send with the same key is delivered once', async () => {
    const { topicArn, queueUrl } = await topicWithQueue('klaxon-incidents.fifo');
    const r = sns(topicArn);
    const firing = message('firing', undefined, { idempotencyKey: 'inc-7f3a9c/0/aws' });
    const first = await viaDeliver(r, firing);
    // The same key again: an activity retry after a lost answer. SNS accepts it and delivers nothing.
    const again = await viaDeliver(r, firing);
    expect(first.response).toMatch(/^firing message \S+/);
    expect(again.response).toMatch(/^firing message \S+/);
    await viaDeliver(r, message('resolved', undefined, { idempotencyKey: 'inc-7f3a9c/resolve/aws' }));

    const got = await drain(queueUrl);
    expect(got.map((g) => [g.envelope.MessageAttributes?.kind.Value, g.attributes.MessageGroupId, g.attributes.MessageDeduplicationId])).toEqual([
      ['firing', 'inc-7f3a9c', 'inc-7f3a9c/0/aws'],
      ['resolved', 'inc-7f3a9c', 'inc-7f3a9c/resolve/aws'],
    ]);
  });

  it('FIFO ids SNS would refuse (over 128 characters, spaces) are sent as their SHA-256, still one per key', async () => {
    const { topicArn, queueUrl } = await topicWithQueue('klaxon-long.fifo');
    const long = message('firing', undefined, { idempotencyKey: `inc-7f3a9c/0/${'a'.repeat(120)}/bob smith` });
    await viaDeliver(sns(topicArn), long);
    await viaDeliver(sns(topicArn), long);
    const got = await drain(queueUrl);
    expect(got).toHaveLength(1);
    expect(got[0].attributes.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a topic that does not exist is a final error naming topicArn', async () => {
    const err = await deliveryError(() => viaDeliver(sns('arn:aws:sns:us-east-1:123456789012:no-such-topic'), message()));
    expect(err).toMatchObject({ retryable: false, opts: { status: 404 } });
    expect(err.message).toContain('topicArn');
    expectNoSecrets(err, [SECRET, KEY_ID]);
  });
});

describe('sns credentials, with moto checking them against its IAM', () => {
  let authMoto: Awaited<ReturnType<typeof startMoto>>;
  let keyId: string;
  let topicArn: string;
  beforeAll(async () => {
    // The first 3 requests are not checked: they create the user, its key and the topic.
    authMoto = await startMoto({ INITIAL_NO_AUTH_ACTION_COUNT: '3' });
    await awsQuery(authMoto.url, 'iam', { Action: 'CreateUser', UserName: 'klaxon', Version: '2010-05-08' });
    keyId = xmlValues(await awsQuery(authMoto.url, 'iam', { Action: 'CreateAccessKey', UserName: 'klaxon', Version: '2010-05-08' }), 'AccessKeyId')[0];
    topicArn = xmlValues(await awsQuery(authMoto.url, 'sns', { Action: 'CreateTopic', Name: 'guarded', Version: '2010-03-31' }), 'TopicArn')[0];
  }, 60_000);
  afterAll(() => authMoto?.stop());

  const guarded = (id: string, secretKey: string) =>
    receiver({ type: 'sns', topicArn, endpoint: authMoto.url, accessKeyId: '${K}', secretAccessKey: '${S}' }, { K: id, S: secretKey });

  it('an unknown access key id is final, names accessKeyId, and carries neither key nor secret', async () => {
    const err = await deliveryError(() => viaDeliver(guarded('AKIAZZZZZZZZZZZZZZZZ', SECRET), message()));
    expect(err).toMatchObject({ retryable: false, opts: { status: 403 } });
    expect(err.message).toMatch(/rejected accessKeyId: InvalidClientTokenId/);
    expectNoSecrets(err, [SECRET, 'AKIAZZZZZZZZZZZZZZZZ']);
  });

  it('a wrong secret for a real key is final and names secretAccessKey', async () => {
    const err = await deliveryError(() => viaDeliver(guarded(keyId, SECRET), message()));
    expect(err).toMatchObject({ retryable: false, opts: { status: 403 } });
    expect(err.message).toMatch(/rejected secretAccessKey: SignatureDoesNotMatch/);
    expectNoSecrets(err, [SECRET, keyId]);
  });
});

describe('sns delivery semantics (local double answering in the Query protocol\'s error shape)', () => {
  // https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html: <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
  const errorXml = (code: string, msg: string, type = 'Sender') =>
    `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${msg}</Message></Error><RequestId>0f3c</RequestId></ErrorResponse>`;
  const xml = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, body, headers: { 'content-type': 'text/xml', ...headers } });
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start(() => xml(500, errorXml('InternalError', 'unexpected', 'Receiver')));
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (timeout = '10s') => receiver({ type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:123456789012:t', endpoint: vendor.url, accessKeyId: '${K}', secretAccessKey: '${S}', timeout }, { K: KEY_ID, S: SECRET });

  it('the SDK makes one attempt: a 500 is retryable and reaches the vendor exactly once, SigV4-signed for the topic\'s region', async () => {
    const err = await deliveryError(() => snsNotifier.send(cfg(), message(), ctx()));
    expect(err).toMatchObject({ retryable: true, opts: { status: 500 } });
    expect(vendor.requests).toHaveLength(1);
    expect(vendor.last().headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY_ID}/\\d{8}/eu-west-1/sns/aws4_request, `));
    expect(new URLSearchParams(vendor.last().body).get('Action')).toBe('Publish');
  });

  it('throttling (ThrottledException 429, KMSThrottlingException 400) is retryable, after Retry-After when given', async () => {
    vendor.replyOnce(xml(429, errorXml('Throttled', 'Rate exceeded'), { 'retry-after': '3' }));
    expect(await deliveryError(() => snsNotifier.send(cfg(), message(), ctx()))).toMatchObject({ retryable: true, opts: { status: 429, retryAfterMs: 3000 } });
    vendor.replyOnce(xml(400, errorXml('KMSThrottling', 'KMS rate exceeded')));
    expect(await deliveryError(() => snsNotifier.send(cfg(), message(), ctx()))).toMatchObject({ retryable: true, opts: { status: 400 } });
    expect(vendor.requests).toHaveLength(2);
  });

  it('a rejected parameter is final', async () => {
    vendor.replyOnce(xml(400, errorXml('InvalidParameter', 'Invalid parameter: Message too long')));
    const err = await deliveryError(() => snsNotifier.send(cfg(), message(), ctx()));
    expect(err).toMatchObject({ retryable: false, opts: { status: 400 } });
    expect(err.message).toContain('InvalidParameter');
  });

  it('no answer within the receiver timeout is retryable, and the send gives up at the timeout', async () => {
    vendor.handle(async () => {
      await new Promise((r) => setTimeout(r, 3000));
      return xml(200, '<PublishResponse/>');
    });
    const t0 = Date.now();
    const err = await deliveryError(() => snsNotifier.send(cfg('1s'), message(), ctx()));
    const took = Date.now() - t0;
    expect(err.retryable).toBe(true);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(2500);
    vendor.handle(() => xml(500, errorXml('InternalError', 'unexpected', 'Receiver')));
  });

  it('the delivery\'s cancel signal aborts the publish; a failing lease check stops it unsent', async () => {
    vendor.handle(async () => {
      await new Promise((r) => setTimeout(r, 3000));
      return xml(200, '<PublishResponse/>');
    });
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 200);
    const t0 = Date.now();
    const err = await deliveryError(() => snsNotifier.send(cfg(), message(), { ...ctx(), signal: cancel.signal }));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('cancelled');
    expect(Date.now() - t0).toBeLessThan(1500);
    vendor.reset();
    vendor.handle(() => xml(500, errorXml('InternalError', 'unexpected', 'Receiver')));

    const lost = await deliveryError(() =>
      deliver({ tenant: 'acme', receiverName: 'aws', receiver: cfg(), message: message(), mode: 'send' }, ctx(), {
        breakers: new CircuitBreakers(),
        beforeRequest: () => {
          throw new Error('lease ran out');
        },
      }),
    );
    expect(lost.message).toContain('lease ran out');
    expect(vendor.requests).toHaveLength(0);
  });
});

describe('sns receiver config', () => {
  const parse = (raw: Record<string, unknown>) => {
    try {
      receiver({ type: 'sns', ...raw }, { K: KEY_ID, S: SECRET });
      return 'ok';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('takes the region from the topic ARN and refuses what is not an SNS topic ARN', () => {
    expect(parse({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:klaxon' })).toBe('ok');
    expect(parse({ topicArn: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:klaxon.fifo' })).toBe('ok');
    expect(parse({ topicArn: 'arn:aws:sqs:eu-west-1:123456789012:klaxon' })).toContain('an SNS topic ARN is');
    expect(parse({ topicArn: 'klaxon-incidents' })).toContain('an SNS topic ARN is');
  });

  it('keys come as a pair of ${VAR} secrets, never inline', () => {
    expect(parse({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:k', accessKeyId: '${K}' })).toContain('set accessKeyId and secretAccessKey together');
    expect(parse({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:k', accessKeyId: '${K}', secretAccessKey: SECRET })).toContain('secrets must be an ${ENV_VAR} reference');
  });
});
