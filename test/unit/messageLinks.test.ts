import { messageLinks } from '../../src/links/messageLinks';
import { verifyLink } from '../../src/links/oneClick';
import type { IncidentView } from '../../src/incident/view';

const incident = {
  id: 'acme-1',
  links: { incident: 'http://ui.test/namespaces/default/workflows/w/r/history', workflow: 'http://ui.test/namespaces/default/workflows/w/r/history', api: 'http://k.test/api/v1/incidents/acme-1' },
} as IncidentView;
const server = { publicUrl: 'http://k.test', linkTtl: 24 * 3600_000, pageLinkTtl: 30 * 24 * 3600_000 };
const key = { reveal: () => 'k'.repeat(32) };
const now = Date.parse('2026-12-06T00:00:00Z');

describe('links in messages', () => {
  test('without a signing key "Incident" opens the Temporal Web UI, never the JSON API, and there is no ack link', () => {
    const links = messageLinks(incident, { tenant: 'acme', kind: 'firing' }, server, now);
    expect(links.incident).toBe(incident.links.workflow);
    expect(links.api).toBe('http://k.test/api/v1/incidents/acme-1');
    expect(links.ack).toBeUndefined();
  });

  test('with a key: a read-only page link valid for pageLinkTtl and a one-click ack valid for linkTtl, both for this incident and person', () => {
    const links = messageLinks(incident, { tenant: 'acme', kind: 'firing', recipient: { id: 'alice' } }, { ...server, linkSigningKey: key }, now);
    const page = verifyLink(links.incident.replace('http://k.test/i/', ''), key.reveal(), now);
    const ack = verifyLink(links.ack!.replace('http://k.test/a/', ''), key.reveal(), now);
    expect(page).toEqual({ ok: true, claims: { i: 'acme-1', t: 'acme', a: 'view', u: 'alice', e: (now + server.pageLinkTtl) / 1000 } });
    expect(ack).toEqual({ ok: true, claims: { i: 'acme-1', t: 'acme', a: 'ack', u: 'alice', e: (now + server.linkTtl) / 1000 } });
  });

  test('a resolved notice carries the page link but nothing to acknowledge', () => {
    const links = messageLinks(incident, { tenant: 'acme', kind: 'resolved' }, { ...server, linkSigningKey: key }, now);
    expect(links.incident).toMatch(/^http:\/\/k\.test\/i\//);
    expect(links.ack).toBeUndefined();
  });
});
