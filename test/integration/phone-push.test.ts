import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestKlaxon, eventually, uniqueTenant } from '../support/klaxon';
import { FakeVendor } from '../support/vendors/fakeVendor';
import { ntfy, pushover, twilio } from '../support/vendors/phonePush';
import { twilioSignature } from '../../src/notifiers/twilio';
import type { Klaxon } from '../../src/runtime';

const firing = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'alertmanager', 'firing-group.json'), 'utf8'));

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const FROM = '+15017122661';
const ALICE = '+4915112345678';
const ONCALL = '+15558675310';
const PO_TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const PO_USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const PUBLIC = 'https://klaxon.example';

/**
 * People acknowledging from their phones, end to end: Klaxon pages through local doubles of Twilio,
 * Pushover and ntfy, and the doubles' callbacks (signed as the vendor signs them) acknowledge the
 * incident as the person.
 */
describe('acknowledging by SMS reply, keypress, Pushover and ntfy', () => {
  let klaxon: Klaxon;
  let tw: FakeVendor;
  let twFake: ReturnType<typeof twilio>;
  let po: FakeVendor;
  let poFake: ReturnType<typeof pushover>;
  let nt: FakeVendor;
  let ntFake: ReturnType<typeof ntfy>;
  const tenant = uniqueTenant('reach');
  const state = async (id: string) =>
    ((await (await fetch(`${klaxon.url}/api/v1/incidents/${id}/state`, { headers: { authorization: 'Bearer api-token' } })).json()) as { state: { status: string; acknowledgedBy?: string } }).state;

  beforeAll(async () => {
    twFake = twilio({ accountSid: SID, authToken: TOKEN });
    tw = await FakeVendor.start(twFake);
    poFake = pushover({ token: PO_TOKEN, user: PO_USER });
    po = await FakeVendor.start(poFake);
    ntFake = ntfy({ topic: 'oncall-x7' });
    nt = await FakeVendor.start(ntFake);
    klaxon = await startTestKlaxon(
      `
server:
  publicUrl: ${PUBLIC}
  linkSigningKey: "\${LINK_KEY}"
tenants:
  ${tenant}:
    webhook: { token: "\${HOOK}" }
    api: { token: "\${API}" }
    users:
      alice: { name: Alice, phone: "${ALICE}" }
    receivers:
      sms: { type: twilio-sms, accountSid: ${SID}, authToken: "\${TW}", from: "${FROM}", apiUrl: "${tw.url}" }
      call: { type: twilio-voice, accountSid: ${SID}, authToken: "\${TW}", from: "${FROM}", to: ["${ONCALL}"], apiUrl: "${tw.url}" }
      push: { type: pushover, token: "\${PO}", user: ${PO_USER}, apiUrl: "${po.url}" }
      ntfy: { type: ntfy, url: "${nt.url}", topic: oncall-x7 }
    userChannels: { phone: sms }
    escalationPolicies:
      p:
        steps:
          - notify: { users: [alice], receivers: [call, push, ntfy] }
          - wait: 1h
    defaultPolicy: p
`,
      { HOOK: 'hook-token', API: 'api-token', TW: TOKEN, PO: PO_TOKEN, LINK_KEY: 'link-signing-key-0123456789' },
    );
  });
  afterAll(async () => {
    await klaxon?.stop();
    await Promise.all([tw?.close(), po?.close(), nt?.close()]);
  });

  async function openIncident(name: string): Promise<string> {
    const res = await fetch(`${klaxon.url}/webhook/${tenant}`, {
      method: 'POST',
      headers: { authorization: 'Bearer hook-token', 'content-type': 'application/json' },
      body: JSON.stringify({ ...firing, groupKey: `{}:{case="${name}-${Date.now()}"}` }),
    });
    return ((await res.json()) as { incidents: Array<{ incidentId: string }> }).incidents[0].incidentId;
  }

  /** POSTs a form to Klaxon as Twilio would: signed over the public URL it was given. */
  function asTwilio(publicUrl: string, params: Record<string, string>, authToken = TOKEN) {
    return fetch(`${klaxon.url}${publicUrl.slice(PUBLIC.length)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(authToken, publicUrl, params) },
      body: new URLSearchParams(params).toString(),
    });
  }

  test('an SMS reply "ack <code>" from the paged person acknowledges as that person; forged, unknown-sender and wrong-code replies do not', async () => {
    const before = twFake.messages.length;
    const id = await openIncident('sms');
    const page = await eventually(async () => twFake.messages.slice(before).find((m) => m.get('To') === ALICE && m.get('Body')!.includes('Reply "ack')), 20_000, 'the SMS page');
    const code = /Reply "ack (\d{4})"/.exec(page.get('Body')!)![1];
    const reply = (from: string, body: string, token?: string) => asTwilio(`${PUBLIC}/integrations/twilio/sms`, { MessageSid: 'SM1', AccountSid: SID, From: from, To: FROM, Body: body }, token);

    expect((await reply(ALICE, `ack ${code}`, 'not-the-auth-token')).status).toBe(403);
    const stranger = await reply('+12025550123', `ack ${code}`);
    expect(await stranger.text()).toContain('not one Klaxon pages');
    const wrong = await reply(ALICE, `ack ${code === '0000' ? '0001' : '0000'}`);
    expect(await wrong.text()).toMatch(/no firing incident has code/);
    expect((await state(id)).status).toBe('firing');

    const ok = await reply(ALICE, ` ACK ${code} `);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(await ok.text()).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response><Message>Klaxon: acknowledged by alice: /);
    expect(await state(id)).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'alice' });
    // The person hears back on the same channel.
    await eventually(async () => twFake.messages.some((m) => m.get('To') === ALICE && m.get('Body')!.startsWith('Klaxon ACKNOWLEDGED by alice')), 20_000, 'the SMS ack notice');
  });

  test('pressing 1 on the call acknowledges as the number called; the keypress route acts once and only with a valid Twilio signature', async () => {
    const before = twFake.calls.length;
    const id = await openIncident('voice');
    const call = await eventually(async () => twFake.calls[before], 20_000, 'the call');
    const action = /action="([^"]+)"/.exec(call.get('Twiml')!)![1].replace(/&amp;/g, '&');
    expect(action.startsWith(`${PUBLIC}/integrations/twilio/voice/`)).toBe(true);
    const press = (digits: string, token?: string) => asTwilio(action, { CallSid: 'CA1', AccountSid: SID, From: FROM, To: ONCALL, Direction: 'outbound-api', Digits: digits }, token);

    expect((await press('1', 'not-the-auth-token')).status).toBe(403);
    const other = await press('7');
    expect(await other.text()).toContain('<Gather input="dtmf" numDigits="1"');
    expect((await state(id)).status).toBe('firing');
    const ok = await press('1');
    expect(await ok.text()).toContain(`<Say>Acknowledged by twilio:${ONCALL}. Thank you. Goodbye.</Say>`);
    expect(await state(id)).toMatchObject({ status: 'acknowledged', acknowledgedBy: `twilio:${ONCALL}` });
    expect(await (await press('1')).text()).toContain('already been answered');
  });

  test("Pushover's acknowledgement callback acknowledges once Pushover confirms the receipt", async () => {
    const before = poFake.sent.length;
    const id = await openIncident('pushover');
    const sent = await eventually(async () => poFake.sent.slice(before).find((f) => f.get('callback')), 20_000, 'the emergency push');
    const callback = sent.get('callback')!;
    const receipt = poFake.receiptOf.get(sent)!;
    expect(sent.get('priority')).toBe('2');
    const post = (r: string) =>
      fetch(`${klaxon.url}${callback.slice(PUBLIC.length)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ receipt: r, acknowledged: '1', acknowledged_at: '1360019238', acknowledged_by: PO_USER, acknowledged_by_device: 'iphone' }).toString(),
      });
    // Not acknowledged at Pushover (anyone can POST the callback): refused.
    expect((await post(receipt)).status).toBe(403);
    expect((await state(id)).status).toBe('firing');
    poFake.acknowledged.add(receipt);
    const ok = await post(receipt);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, acknowledgedBy: 'pushover:iphone' });
    expect(await state(id)).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'pushover:iphone' });
    // The emergency's repeats are cancelled by the ack notice.
    await eventually(async () => poFake.cancelled.length > 0, 20_000, 'receipt cancelled');
  });

  test("ntfy's Acknowledge button POSTs the signed single-use link", async () => {
    const before = ntFake.published.length;
    const id = await openIncident('ntfy');
    const pub = await eventually(async () => ntFake.published.slice(before).find((r) => String(r.headers.actions).startsWith('http, Acknowledge')), 20_000, 'the ntfy page');
    expect(pub.headers.priority).toBe('5');
    const link = /^http, Acknowledge, (\S+), method=POST, clear=true;/.exec(String(pub.headers.actions))![1];
    const res = await fetch(`${klaxon.url}${link.slice(PUBLIC.length)}`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect((await state(id)).status).toBe('acknowledged');
    expect((await fetch(`${klaxon.url}${link.slice(PUBLIC.length)}`, { method: 'POST' })).status).toBe(410);
  });
});
