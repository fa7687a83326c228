import { FakeVendor } from '../../support/vendors/fakeVendor';
import { jira } from '../../support/vendors/fakes';
import { ctx, deliveryError, expectDocumentedShape, expectNoSecrets, message, partlyResolved, receiver } from '../../support/vendors/messages';
import { jiraNotifier } from '../../../src/notifiers/jira';
import fx from '../../fixtures/vendors/jira.json';

const EMAIL = 'oncall@example.com';
const TOKEN = 'ATATT3xFfGF0T4nQ3k-JiraApiToken-9f8e7d6c';

describe('jira', () => {
  let vendor: FakeVendor;
  let fake: ReturnType<typeof jira>;
  beforeAll(async () => {
    fake = jira({ email: EMAIL, token: TOKEN, project: 'OPS' });
    vendor = await FakeVendor.start(fake);
  });
  afterAll(() => vendor.close());
  beforeEach(() => vendor.reset());
  const cfg = (over: Record<string, unknown> = {}, token = TOKEN) =>
    receiver({ type: 'jira', url: vendor.url, email: EMAIL, apiToken: '${JIRA}', project: 'OPS', labels: ['klaxon', 'sev1'], ...over }, { JIRA: token });

  it('creates an issue (REST v3, ADF description) with Basic email:token', async () => {
    const res = await jiraNotifier.send(cfg(), message(), ctx());
    const req = vendor.last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/rest/api/3/issue');
    expect(req.headers.authorization).toBe('Basic ' + Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64'));
    expect(req.headers['content-type']).toBe('application/json');
    const body = req.json();
    expectDocumentedShape(body, fx);
    expect(body.fields).toMatchObject({ project: { key: 'OPS' }, issuetype: { name: 'Bug' }, labels: ['klaxon', 'sev1'] });
    expect(body.fields.description.content[0]).toEqual({ type: 'paragraph', content: [{ type: 'text', text: expect.stringContaining('HighLatency') }] });
    expect(res.thread).toEqual({ issueKey: expect.stringMatching(/^OPS-\d+$/), issueId: expect.any(String) });
  });

  it('REST v2 writes a plain-text description', async () => {
    await jiraNotifier.send(cfg({ apiVersion: '2' }), message(), ctx());
    expect(vendor.last().path).toBe('/rest/api/2/issue');
    expect(typeof vendor.last().json().fields.description).toBe('string');
  });

  it('updates comment; resolve comments and applies the "Done" transition found via GET', async () => {
    const sent = await jiraNotifier.send(cfg(), message(), ctx());
    const key = sent.thread!.issueKey;
    await jiraNotifier.update!(cfg(), { ...message('acknowledged'), thread: sent.thread! }, ctx());
    await jiraNotifier.update!(cfg(), { ...message('resolved'), thread: sent.thread! }, ctx());
    expect(vendor.requests.slice(1).map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /rest/api/3/issue/${key}/comment`,
      `POST /rest/api/3/issue/${key}/comment`,
      `GET /rest/api/3/issue/${key}/transitions`,
      `POST /rest/api/3/issue/${key}/transitions`,
    ]);
    expect(vendor.last().json()).toEqual({ transition: { id: '31' } });
    expect(fake.issues.get(key).status).toBe('Done');
    expect(fake.issues.get(key).comments).toHaveLength(2);
  });

  it('a partial resolve is one comment on the issue, and no transition', async () => {
    const sent = await jiraNotifier.send(cfg(), message(), ctx());
    const key = sent.thread!.issueKey;
    vendor.reset();
    const res = await jiraNotifier.update!(cfg(), { ...message('updated', partlyResolved(), { text: 'Update: 1 of 2 alerts resolved: HighLatency on api. Still firing:' }), thread: sent.thread! }, ctx());
    expect(vendor.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /rest/api/3/issue/${key}/comment`]);
    expect(fake.issues.get(key).status).toBe('To Do');
    const comment = fake.issues.get(key).comments.at(-1);
    expect(comment.content.map((p: any) => p.content[0].text)).toEqual(['🔄 [FIRING] HighLatency on api (2 alerts)', 'Update: 1 of 2 alerts resolved: HighLatency on api. Still firing:', 'Open incident in Klaxon']);
    expect(res).toEqual({ thread: sent.thread, response: `commented on ${key}` });
  });

  it('a transition that does not exist is a final error naming the available ones', async () => {
    const sent = await jiraNotifier.send(cfg(), message(), ctx());
    const err = await deliveryError(() => jiraNotifier.update!(cfg({ resolveTransition: 'Closed' }), { ...message('resolved'), thread: sent.thread! }, ctx()));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('To Do, In Progress, Done');
  });

  it('400 errorMessages/errors are final and carried; credentials never appear', async () => {
    const err = await deliveryError(() => jiraNotifier.send(cfg({ project: 'NOPE' }), message(), ctx()));
    expect(err.retryable).toBe(false);
    expect(err.opts.vendorMessage).toContain('Specify a valid project ID or key');
    expectNoSecrets(err, [TOKEN, Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')]);
  });
});
