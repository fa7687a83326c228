import { FakeVendor } from '../../support/vendors/fakeVendor';
import { servicenow } from '../../support/vendors/fakes';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { servicenowNotifier } from '../../../src/notifiers/servicenow';
import fx from '../../fixtures/vendors/servicenow.json';

const PASSWORD = 'sn-Pa55w0rd!integration';

describe('servicenow', () => {
  let vendor: FakeVendor;
  let fake: ReturnType<typeof servicenow>;
  beforeAll(async () => {
    fake = servicenow({ user: 'klaxon.integration', password: PASSWORD });
    vendor = await FakeVendor.start(fake);
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (password = PASSWORD) =>
    receiver({ type: 'servicenow', instanceUrl: vendor.url, username: 'klaxon.integration', password: '${SN}', assignmentGroup: 'Network' }, { SN: password });

  it('creates an incident with POST /api/now/table/incident', async () => {
    const res = await servicenowNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/api/now/table/incident');
    expect(req.headers.authorization).toBe('Basic ' + Buffer.from(`klaxon.integration:${PASSWORD}`).toString('base64'));
    expect(req.headers.accept).toBe('application/json');
    expectDocumentedShape(req.json(), fx);
    expect(req.json()).toMatchObject({ impact: '1', urgency: '1', correlation_id: 'inc-7f3a9c', assignment_group: 'Network' });
    expect(req.json().short_description.length).toBeLessThanOrEqual(160);
    expect(res.thread).toEqual({ sysId: expect.stringMatching(/^e2b8/), number: expect.stringMatching(/^INC/) });
  });

  it('adds work notes on update and resolves with state 6, close_code and close_notes', async () => {
    const sent = await servicenowNotifier.send(cfg(), message(), ctx());
    await servicenowNotifier.update!(cfg(), { ...message('acknowledged'), thread: sent.thread! }, ctx());
    await servicenowNotifier.update!(cfg(), { ...message('resolved'), thread: sent.thread! }, ctx());
    const [, note, resolve] = vendor.requests;
    expect([note.method, note.path]).toEqual(['PATCH', `/api/now/table/incident/${sent.thread!.sysId}`]);
    expect(Object.keys(note.json())).toEqual(['work_notes']);
    expect(resolve.json()).toMatchObject({ state: '6', close_code: 'Solution provided', close_notes: expect.stringContaining('RESOLVED') });
    expect(fake.records.get(sent.thread!.sysId).state).toBe('6');
  });

  it('a partial resolve is a work note on the one incident; its state does not change', async () => {
    const sent = await servicenowNotifier.send(cfg(), message(), ctx());
    vendor.reset();
    await servicenowNotifier.update!(cfg(), { ...message('updated', partlyResolved(), { text: 'Update: 1 of 2 alerts resolved' }), thread: sent.thread! }, ctx());
    expect(vendor.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /api/now/table/incident/${sent.thread!.sysId}`]);
    expect(vendor.last().json()).toEqual({ work_notes: '🔄 [FIRING] HighLatency on api (2 alerts)\nUpdate: 1 of 2 alerts resolved' });
    expect(fake.records.get(sent.thread!.sysId).state).toBe('1');
  });

  it('401 is final with ServiceNow’s error object, and without the password', async () => {
    const wrong = 'wrong-password-123';
    const err = await deliveryError(() => servicenowNotifier.send(cfg(wrong), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('User Not Authenticated');
    expectNoSecrets(err, [wrong, Buffer.from(`klaxon.integration:${wrong}`).toString('base64')]);
  });
});
