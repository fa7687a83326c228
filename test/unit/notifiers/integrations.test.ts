import { createVerify, generateKeyPairSync } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeVendor, type RecordedRequest } from '../../support/vendors/fakeVendor';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, incident, message, receiver } from '../../support/vendors/messages';
import { splunkNotifier } from '../../../src/notifiers/splunk';
import { newrelicNotifier } from '../../../src/notifiers/newrelic';
import { xmattersNotifier } from '../../../src/notifiers/xmatters';
import { incidentioNotifier } from '../../../src/notifiers/incidentio';
import { eventgridNotifier } from '../../../src/notifiers/eventgrid';
import { pubsubNotifier } from '../../../src/notifiers/pubsub';
import splunkFx from '../../fixtures/vendors/splunk.json';
import newrelicFx from '../../fixtures/vendors/newrelic.json';
import xmattersFx from '../../fixtures/vendors/xmatters.json';
import incidentioFx from '../../fixtures/vendors/incidentio.json';
import eventgridFx from '../../fixtures/vendors/eventgrid.json';
import pubsubFx from '../../fixtures/vendors/pubsub.json';

/**
 * The monitoring, incident-management and cloud integrations, each against a local double that
 * checks the request as the vendor documents it (auth, path, content type, body) and answers with
 * the documented success and error bodies.
 */

const reply = (status: number, body?: unknown, headers?: Record<string, string>) => ({ status, body, headers });

describe('splunk HTTP Event Collector', () => {
  const TOKEN = 'B5A79AAD-D822-46CC-80D1-819F80D7BFB0';
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start((req) => {
      if (!req.headers.authorization) return reply(401, splunkFx.responses.tokenRequired);
      if (req.headers.authorization !== `Splunk ${TOKEN}`) return reply(403, splunkFx.responses.invalidToken);
      if (req.method !== 'POST' || req.path !== '/services/collector/event') return reply(404, { text: 'The requested URL was not found on this server.', code: 404 });
      const b = req.json();
      if (b.index && b.index !== 'oncall') return reply(400, splunkFx.responses.incorrectIndex);
      if (typeof b.event !== 'object') return reply(400, { text: 'Event field is required', code: 12 });
      return reply(200, splunkFx.responses.success);
    });
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (extra: Record<string, unknown> = {}) => receiver({ type: 'splunk', url: vendor.url, token: '${HEC}', index: 'oncall', ...extra }, { HEC: TOKEN });

  it('POSTs /services/collector/event with Authorization: Splunk <token>, sourcetype, index and the incident change as the event', async () => {
    const at = new Date('2025-01-02T03:05:06.789Z');
    const res = await splunkNotifier.send(cfg(), message('firing'), { ...ctx(), now: () => at });
    const req = vendor.last();
    const b = req.json();
    expectDocumentedShape(b, splunkFx);
    expect(b).toMatchObject({ time: 1735787106.789, source: 'klaxon', sourcetype: 'klaxon:incident', index: 'oncall' });
    expect(b.event).toMatchObject({ kind: 'firing', incidentId: 'inc-7f3a9c', tenant: 'acme', severity: 'critical', status: 'firing', alerts: 2, firingAlerts: 2, 'label.service': 'api' });
    expect(res.thread).toEqual({ incidentId: 'inc-7f3a9c' });
  });

  it('one event per change: acknowledged and resolved carry the same incident id', async () => {
    await splunkNotifier.update!(cfg(), { ...message('acknowledged'), thread: { incidentId: 'inc-7f3a9c' } }, ctx());
    await splunkNotifier.update!(cfg(), { ...message('resolved'), thread: { incidentId: 'inc-7f3a9c' } }, ctx());
    expect(vendor.requests.map((r) => [r.json().event.kind, r.json().event.incidentId, r.json().event.acknowledgedBy])).toEqual([
      ['acknowledged', 'inc-7f3a9c', 'alice'],
      ['resolved', 'inc-7f3a9c', undefined],
    ]);
  });

  it('403 invalid token and 400 incorrect index are final (without the token); 503 server busy is retried', async () => {
    const wrong = receiver({ type: 'splunk', url: vendor.url, token: '${HEC}' }, { HEC: 'AAAAAAAA-0000-0000-0000-000000000000' });
    const e1 = await deliveryError(() => splunkNotifier.send(wrong, message(), ctx()));
    expect(e1).toMatchObject({ retryable: false, opts: { status: 403 } });
    expect(e1.opts.vendorMessage).toContain('Invalid token');
    expectNoSecrets(e1, ['AAAAAAAA-0000-0000-0000-000000000000']);
    const e2 = await deliveryError(() => splunkNotifier.send(cfg({ index: 'nope' }), message(), ctx()));
    expect(e2).toMatchObject({ retryable: false, opts: { status: 400 } });
    vendor.replyOnce(reply(503, splunkFx.responses.serverBusy, { 'retry-after': '4' }));
    expect(await deliveryError(() => splunkNotifier.send(cfg(), message(), ctx()))).toMatchObject({ retryable: true, opts: { retryAfterMs: 4000 } });
  });
});

describe('new relic Event API', () => {
  const KEY = 'eu01xx0123456789abcdef0123456789NRAL';
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start((req) => {
      if (req.headers['api-key'] !== KEY) return reply(403, newrelicFx.responses.forbidden);
      if (req.method !== 'POST' || req.path !== '/v1/accounts/1234567/events') return reply(404, { error: 'not found' });
      return reply(200, newrelicFx.responses.accepted);
    });
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (extra: Record<string, unknown> = {}) => receiver({ type: 'newrelic', accountId: 1234567, apiKey: '${NR}', apiUrl: vendor.url, ...extra }, { NR: KEY });
  const events = (req: RecordedRequest) => JSON.parse(req.body);

  it('POSTs an array with one flat KlaxonIncident event, Api-Key header, to /v1/accounts/{id}/events', async () => {
    await newrelicNotifier.send(cfg(), message('firing'), { ...ctx(), now: () => new Date('2025-01-02T03:05:06Z') });
    const req = vendor.last();
    expect(req.headers['content-type']).toBe('application/json');
    const body = events(req);
    expect(body).toHaveLength(1);
    expectDocumentedShape(body[0], newrelicFx);
    expect(body[0]).toMatchObject({ eventType: 'KlaxonIncident', timestamp: 1735787106, incidentId: 'inc-7f3a9c', kind: 'firing', severity: 'critical', 'label.alertname': 'HighLatency' });
    // The Event API takes no nested values: every attribute is a string, number or boolean.
    for (const v of Object.values(body[0])) expect(['string', 'number', 'boolean']).toContain(typeof v);
  });

  it('gzip: Content-Encoding gzip, and the body gunzips to the same events', async () => {
    // FakeVendor records text; the raw bytes are needed here.
    let raw: { headers: Record<string, unknown>; body: Buffer } | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        raw = { headers: req.headers, body: Buffer.concat(chunks) };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(newrelicFx.responses.accepted));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await newrelicNotifier.send(receiver({ type: 'newrelic', accountId: 1234567, apiKey: '${NR}', apiUrl: url, gzip: true }, { NR: KEY }), message('resolved'), ctx());
      expect(raw!.headers['content-encoding']).toBe('gzip');
      expect(JSON.parse(gunzipSync(raw!.body).toString('utf8'))[0]).toMatchObject({ eventType: 'KlaxonIncident', kind: 'resolved', incidentId: 'inc-7f3a9c' });
    } finally {
      server.close();
    }
  });

  it('the region picks the collector; a wrong key is a final 403 without the key', async () => {
    const { newrelicUrl } = await import('../../../src/notifiers/newrelic');
    expect(newrelicUrl(receiver({ type: 'newrelic', accountId: '42', apiKey: '${NR}', region: 'eu' }, { NR: KEY }))).toBe('https://insights-collector.eu01.nr-data.net/v1/accounts/42/events');
    expect(newrelicUrl(receiver({ type: 'newrelic', accountId: '42', apiKey: '${NR}' }, { NR: KEY }))).toBe('https://insights-collector.newrelic.com/v1/accounts/42/events');
    vendor.handle(() => reply(403, newrelicFx.responses.forbidden));
    const wrong = receiver({ type: 'newrelic', accountId: 1234567, apiKey: '${NR}', apiUrl: vendor.url }, { NR: 'wrongwrongwrongwrongwrong' });
    const err = await deliveryError(() => newrelicNotifier.send(wrong, message(), ctx()));
    expect(err).toMatchObject({ retryable: false, opts: { status: 403 } });
    expectNoSecrets(err, ['wrongwrongwrongwrongwrong']);
  });
});

describe('xMatters Flow HTTP trigger', () => {
  const KEY = '8a9b0c1d-2e3f-4a5b-6c7d-8e9f0a1b2c3d';
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start((req) => {
      if (req.path !== '/api/integration/1/functions/0f2ab3c4-5d6e-4f70-8192-a3b4c5d6e7f8/triggers') return reply(404, xmattersFx.responses.notFound);
      if (req.query.get('apiKey') !== KEY) return reply(401, xmattersFx.responses.unauthorized);
      return reply(202, xmattersFx.responses.accepted);
    });
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const url = (key = KEY) => `${vendor.url}/api/integration/1/functions/0f2ab3c4-5d6e-4f70-8192-a3b4c5d6e7f8/triggers?apiKey=${key}`;
  const cfg = (key = KEY) => receiver({ type: 'xmatters', url: '${XM}' }, { XM: url(key) });

  it('POSTs the incident\'s properties to the trigger; ack and resolve are updates with the same incidentId', async () => {
    const sent = await xmattersNotifier.send(cfg(), message('firing', incident({ links: { workflow: 'w', incident: 'https://k/i/x', ack: 'https://k/a/t' } })), ctx());
    const first = vendor.last().json();
    expectDocumentedShape(first, xmattersFx);
    expect(first).toMatchObject({ incidentId: 'inc-7f3a9c', status: 'firing', priority: 'HIGH', url: 'https://k/i/x', ackUrl: 'https://k/a/t' });
    expect(first.properties).toMatchObject({ severity: 'critical', service: 'api', alerts: 2 });
    expect(sent.thread).toEqual({ incidentId: 'inc-7f3a9c', requestId: xmattersFx.responses.accepted.requestId });
    await xmattersNotifier.update!(cfg(), { ...message('acknowledged'), thread: sent.thread! }, ctx());
    await xmattersNotifier.update!(cfg(), { ...message('resolved'), thread: sent.thread! }, ctx());
    expect(vendor.requests.map((r) => [r.json().status, r.json().incidentId])).toEqual([
      ['firing', 'inc-7f3a9c'],
      ['acknowledged', 'inc-7f3a9c'],
      ['resolved', 'inc-7f3a9c'],
    ]);
  });

  it('a wrong apiKey is a final 401 whose error carries neither the URL nor the key', async () => {
    const err = await deliveryError(() => xmattersNotifier.send(cfg('11111111-2222-3333-4444-555555555555'), message(), ctx()));
    expect(err).toMatchObject({ retryable: false, opts: { status: 401 } });
    expectNoSecrets(err, ['11111111-2222-3333-4444-555555555555']);
  });
});

describe('incident.io Alertmanager alert source', () => {
  const TOKEN = 'inc_alert_source_token_0123456789abcdef';
  const SOURCE = '01GW2G3V0S59R238FAHPDS1R66';
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start((req) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(401, incidentioFx.responses.unauthorized);
      if (req.method !== 'POST' || req.path !== `/v2/alert_events/alertmanager/${SOURCE}`) return reply(404, incidentioFx.responses.notFound);
      return reply(202, incidentioFx.responses.accepted);
    });
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (token = TOKEN) => receiver({ type: 'incidentio', alertSourceConfigId: SOURCE, token: '${IIO}', apiUrl: vendor.url }, { IIO: token });

  it('POSTs Alertmanager\'s webhook body with the bearer token', async () => {
    const res = await incidentioNotifier.send(cfg(), message('firing'), ctx());
    const b = vendor.last().json();
    expectDocumentedShape(b, incidentioFx);
    expect(b).toMatchObject({ version: '4', groupKey: 'inc-7f3a9c', status: 'firing', commonLabels: { alertname: 'HighLatency', service: 'api' } });
    expect(b.alerts.map((a: { status: string; fingerprint: string }) => [a.status, a.fingerprint])).toEqual([
      ['firing', 'fp000000'],
      ['firing', 'fp000001'],
    ]);
    expect(res.thread).toEqual({ groupKey: 'inc-7f3a9c', deduplicationKey: '4293868629' });
  });

  it('a resolve resolves every alert (a person may resolve before Alertmanager does); an ack sends nothing', async () => {
    expect((await incidentioNotifier.update!(cfg(), { ...message('acknowledged'), thread: { groupKey: 'inc-7f3a9c' } }, ctx())).skipped).toBe(true);
    expect(vendor.requests).toHaveLength(0);
    await incidentioNotifier.update!(cfg(), { ...message('resolved', incident({ resolvedAt: '2025-01-02T04:00:00Z' })), thread: { groupKey: 'inc-7f3a9c' } }, ctx());
    const b = vendor.last().json();
    expect(b.status).toBe('resolved');
    expect(b.alerts.map((a: { status: string; endsAt: string }) => [a.status, a.endsAt])).toEqual([
      ['resolved', '2025-01-02T04:00:00Z'],
      ['resolved', '2025-01-02T04:00:00Z'],
    ]);
  });

  it('401 is final without the token; 429 is retried after Retry-After', async () => {
    const err = await deliveryError(() => incidentioNotifier.send(cfg('inc_wrong_wrong_wrong_wrong_wrong'), message(), ctx()));
    expect(err).toMatchObject({ retryable: false, opts: { status: 401 } });
    expectNoSecrets(err, ['inc_wrong_wrong_wrong_wrong_wrong']);
    vendor.replyOnce(reply(429, incidentioFx.responses.tooMany, { 'retry-after': '10' }));
    expect(await deliveryError(() => incidentioNotifier.send(cfg(), message(), ctx()))).toMatchObject({ retryable: true, opts: { retryAfterMs: 10_000 } });
  });
});

describe('azure Event Grid (CloudEvents 1.0)', () => {
  const KEY = 'dGhpcyBpcyBhIHRvcGljIGtleSBmb3IgdGVzdHM=';
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start((req) => {
      if (req.headers['aeg-sas-key'] !== KEY) return reply(401, eventgridFx.responses.unauthorized);
      if (req.path !== '/api/events' || req.query.get('api-version') !== '2018-01-01') return reply(404);
      if (req.headers['content-type'] !== 'application/cloudevents-batch+json; charset=utf-8') return reply(400, eventgridFx.responses.badRequest);
      const b = req.json();
      if (!Array.isArray(b) || b.some((e) => e.specversion !== '1.0' || !e.id || !e.source || !e.type)) return reply(400, eventgridFx.responses.badRequest);
      return reply(200);
    });
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (key = KEY) => receiver({ type: 'eventgrid', topicEndpoint: `${vendor.url}/api/events`, key: '${EG}' }, { EG: key });

  it('publishes a batch of one CloudEvent with aeg-sas-key; id is the idempotency key, type says the change', async () => {
    const m = message('acknowledged');
    await eventgridNotifier.send(cfg(), m, { ...ctx(), now: () => new Date('2025-01-02T03:05:06Z') });
    const [e] = vendor.last().json();
    expectDocumentedShape(e, eventgridFx);
    expect(e).toMatchObject({ specversion: '1.0', type: 'io.klaxon.incident.acknowledged', source: '/klaxon/acme', id: m.idempotencyKey, time: '2025-01-02T03:05:06.000Z', subject: 'incidents/inc-7f3a9c', datacontenttype: 'application/json' });
    expect(e.data).toMatchObject({ incidentId: 'inc-7f3a9c', acknowledgedBy: 'alice', status: 'acknowledged' });
  });

  it('a wrong key is a final 401 without the key; 503 is retried', async () => {
    const err = await deliveryError(() => eventgridNotifier.send(cfg('d3Jvbmcgd3Jvbmcgd3Jvbmcgd3Jvbmc='), message(), ctx()));
    expect(err).toMatchObject({ retryable: false, opts: { status: 401 } });
    expectNoSecrets(err, ['d3Jvbmcgd3Jvbmcgd3Jvbmcgd3Jvbmc=']);
    vendor.replyOnce(reply(503, { error: { code: 'ServiceUnavailable', message: 'try later' } }));
    expect((await deliveryError(() => eventgridNotifier.send(cfg(), message(), ctx()))).retryable).toBe(true);
  });
});

describe('gcp Pub/Sub', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const sa = { type: 'service_account', project_id: 'acme-prod', private_key_id: 'k1d0123', private_key: pem, client_email: 'klaxon@acme-prod.iam.gserviceaccount.com', token_uri: 'https://oauth2.googleapis.com/token' };
  let vendor: FakeVendor;

  /** What Google checks of a self-signed JWT: RS256 signature by the key, iss = sub = the account, aud = the API, a live exp of at most an hour. */
  function jwtProblem(auth: string | undefined): string | undefined {
    const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(auth ?? '');
    if (!m) return 'no bearer JWT';
    const header = JSON.parse(Buffer.from(m[1], 'base64url').toString());
    const claims = JSON.parse(Buffer.from(m[2], 'base64url').toString());
    if (header.alg !== 'RS256' || header.kid !== sa.private_key_id) return 'header';
    if (!createVerify('RSA-SHA256').update(`${m[1]}.${m[2]}`).verify(publicKey, m[3], 'base64url')) return 'signature';
    if (claims.iss !== sa.client_email || claims.sub !== sa.client_email || claims.aud !== 'https://pubsub.googleapis.com/') return 'claims';
    const now = Date.now() / 1000;
    if (!(claims.iat <= now + 5 && claims.exp > now && claims.exp - claims.iat <= 3600)) return 'expiry';
    return undefined;
  }

  beforeAll(async () => {
    vendor = await FakeVendor.start((req) => {
      if (jwtProblem(req.headers.authorization)) return reply(401, pubsubFx.responses.unauthenticated);
      if (req.method !== 'POST') return reply(405);
      if (req.path !== '/v1/projects/acme-prod/topics/klaxon-incidents:publish') return reply(404, pubsubFx.responses.notFound);
      const b = req.json();
      if (!b.messages?.length || b.messages.some((m: { data?: string }) => !m.data)) return reply(400, { error: { code: 400, message: 'The value for message_count is too small.', status: 'INVALID_ARGUMENT' } });
      return reply(200, pubsubFx.responses.published);
    });
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (extra: Record<string, unknown> = {}, key: unknown = sa) => receiver({ type: 'pubsub', project: 'acme-prod', topic: 'klaxon-incidents', credentials: '${GCP_KEY}', apiUrl: vendor.url, ...extra }, { GCP_KEY: typeof key === 'string' ? key : JSON.stringify(key) });

  it('publishes the change as base64 JSON data with filterable attributes, authorised by a self-signed RS256 JWT', async () => {
    const m = message('firing');
    const res = await pubsubNotifier.send(cfg({ orderingKey: true }), m, ctx());
    const req = vendor.last();
    expect(jwtProblem(req.headers.authorization)).toBeUndefined();
    const b = req.json();
    expectDocumentedShape(b, pubsubFx);
    const [msg] = b.messages;
    expect(msg.attributes).toEqual({ kind: 'firing', incidentId: 'inc-7f3a9c', tenant: 'acme', severity: 'critical', status: 'firing', idempotencyKey: m.idempotencyKey });
    expect(msg.orderingKey).toBe('inc-7f3a9c');
    expect(JSON.parse(Buffer.from(msg.data, 'base64').toString('utf8'))).toMatchObject({ incidentId: 'inc-7f3a9c', kind: 'firing', alerts: 2 });
    expect(res.response).toBe('firing message 2070443601311540');
  });

  it('a JWT signed by another key is refused (401, final) and the error carries neither JWT nor key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const err = await deliveryError(() => pubsubNotifier.send(cfg({}, { ...sa, private_key: other }), message(), ctx()));
    expect(err).toMatchObject({ retryable: false, opts: { status: 401 } });
    expect(err.opts.vendorMessage).toContain('UNAUTHENTICATED');
    expectNoSecrets(err, [other.split('\n')[1]]);
  });

  it('404 NOT_FOUND (no such topic) is final; 503 UNAVAILABLE is retried', async () => {
    expect(await deliveryError(() => pubsubNotifier.send(cfg({ topic: 'missing-topic' }), message(), ctx()))).toMatchObject({ retryable: false, opts: { status: 404 } });
    vendor.replyOnce(reply(503, pubsubFx.responses.unavailable));
    expect((await deliveryError(() => pubsubNotifier.send(cfg(), message(), ctx()))).retryable).toBe(true);
  });

  it('credentials that are not a service account key fail for good, naming the field, before any request', async () => {
    const notJson = await deliveryError(() => pubsubNotifier.send(cfg({}, 'not json at all'), message(), ctx()));
    expect(notJson).toMatchObject({ retryable: false, message: expect.stringContaining('credentials is not JSON') });
    const noKey = await deliveryError(() => pubsubNotifier.send(cfg({}, { client_email: 'x@y' }), message(), ctx()));
    expect(noKey.message).toContain('credentials has no client_email and private_key');
    expect(vendor.requests).toHaveLength(0);
  });
});
