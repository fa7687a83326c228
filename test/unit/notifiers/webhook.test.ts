import { createHmac } from 'node:crypto';
import { FakeVendor } from '../../support/vendors/fakeVendor';
import { ctx, deliveryError, expectNoSecrets, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { webhookNotifier, signBody } from '../../../src/notifiers/webhook';

const HMAC_KEY = 'whsec_4f9a8b7c6d5e4f3a2b1c';

describe('generic webhook', () => {
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await FakeVendor.start(() => ({ status: 204 }));
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (over: Record<string, unknown> = {}) =>
    receiver({ type: 'webhook', url: '${HOOK}', secret: '${HMAC}', headers: { 'X-Team': 'sre' }, ...over }, { HOOK: `${vendor.url}/hooks/klaxon?token=query-token-123456`, HMAC: HMAC_KEY });

  it('posts Klaxon JSON with an HMAC-SHA256 signature of the exact body and custom headers', async () => {
    await webhookNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect([req.method, req.path]).toEqual(['POST', '/hooks/klaxon']);
    expect(req.headers['x-team']).toBe('sre');
    expect(req.headers['idempotency-key']).toBe('inc-7f3a9c:run-1:0:rcv');
    expect(req.headers['x-klaxon-signature']).toBe('sha256=' + createHmac('sha256', HMAC_KEY).update(req.body).digest('hex'));
    expect(signBody(req.body, HMAC_KEY)).toBe(req.headers['x-klaxon-signature']);
    const body = req.json();
    expect(body).toMatchObject({ kind: 'firing', idempotencyKey: 'inc-7f3a9c:run-1:0:rcv', incident: { id: 'inc-7f3a9c' } });
    expect(body.incident.timeline).toBeUndefined();
  });

  it('format alertmanager sends an Alertmanager v4 body', async () => {
    await webhookNotifier.send(cfg({ format: 'alertmanager' }), message('resolved'), ctx());
    const body = vendor.last().json();
    expect(body).toMatchObject({ version: '4', groupKey: 'inc-7f3a9c', status: 'resolved', receiver: 'klaxon' });
    expect(body.alerts[0]).toMatchObject({ fingerprint: 'fp000000', endsAt: '0001-01-01T00:00:00Z', generatorURL: '' });
  });

  it('a partial resolve is posted like every other moment, kind "updated", in the group it continues', async () => {
    const sent = await webhookNotifier.send(cfg(), message(), ctx());
    expect(sent.thread).toEqual({ groupKey: 'inc-7f3a9c' });
    await webhookNotifier.update!(cfg(), { ...message('updated', partlyResolved()), thread: sent.thread! }, ctx());
    const body = vendor.last().json();
    expect(body).toMatchObject({ kind: 'updated', incident: { id: 'inc-7f3a9c', status: 'firing' } });
    expect(body.incident.alerts.map((a: any) => a.status)).toEqual(['resolved', 'firing']);
    expect(vendor.last().headers['x-klaxon-signature']).toBe(signBody(vendor.last().body, HMAC_KEY));
  });

  it('format alertmanager: a partial resolve is the group still firing, each alert with its own status (as Alertmanager sends it)', async () => {
    await webhookNotifier.update!(cfg({ format: 'alertmanager' }), { ...message('updated', partlyResolved()), thread: { groupKey: 'inc-7f3a9c' } }, ctx());
    const body = vendor.last().json();
    expect(body).toMatchObject({ version: '4', groupKey: 'inc-7f3a9c', status: 'firing' });
    expect(body.alerts.map((a: any) => [a.status, a.endsAt])).toEqual([
      ['resolved', '2025-01-02T03:34:05Z'],
      ['firing', '0001-01-01T00:00:00Z'],
    ]);
  });

  it('4xx is final with the body; no URL token or HMAC key in the error', async () => {
    vendor.replyOnce({ status: 401, body: 'bad signature for token query-token-123456' });
    const err = await deliveryError(() => webhookNotifier.send(cfg(), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('bad signature');
    expectNoSecrets(err, ['query-token-123456', HMAC_KEY]);
  });
});
