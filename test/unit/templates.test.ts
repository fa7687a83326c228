import { renderMessage, renderTemplate, TemplateError } from '../../src/templates/render';
import { sampleRenderProblem } from '../../src/templates/samples';
import { fitMessage } from '../../src/notifiers/fitMessage';
import type { IncidentView } from '../../src/incident/view';

/** The first `resolved` of the incident's alerts resolved, the rest still firing (a partial resolve). */
function partlyResolved(alerts: number, resolved: number, over: Partial<IncidentView> = {}): IncidentView {
  const inc = incident(alerts, over);
  return { ...inc, alerts: inc.alerts.map((a, i) => (i < resolved ? { ...a, status: 'resolved' as const, endsAt: '2026-01-01T10:40:00Z' } : a)) };
}

function incident(alerts: number, over: Partial<IncidentView> = {}): IncidentView {
  return {
    id: 'acme-1', tenant: 'acme', workflowId: 'w', runId: 'r', title: 'HighLatency (checkout)', status: 'firing',
    severity: 'critical', declaredSeverity: 'critical', alertname: 'HighLatency', service: 'checkout',
    startedAt: '2026-01-01T10:00:00Z', commonLabels: { alertname: 'HighLatency' },
    alerts: Array.from({ length: alerts }, (_, i) => ({
      fingerprint: `f${i}`, status: 'firing' as const, labels: { alertname: 'HighLatency', instance: `web-${i}` },
      annotations: { summary: 'p99 above 2s', ...(i === 0 ? { runbook_url: 'https://rb/x' } : {}) }, startsAt: '2026-01-01T10:00:00Z',
    })),
    links: { incident: 'http://k/api/v1/incidents/acme-1', workflow: 'http://ui/w', runbook: 'https://rb/x' },
    timeline: [],
    ...over,
  };
}

describe('message templates', () => {
  const ctx = (inc: IncidentView, kind = 'firing') => ({ kind, incident: inc, now: '2026-01-01T10:45:00Z' });

  test('the default message names the alerts, the runbook and the incident link', () => {
    const m = renderMessage('webhook', {}, ctx(incident(2)));
    expect(m.title).toBe('[FIRING:2] HighLatency (checkout)');
    expect(m.text).toContain('- HighLatency on web-1: p99 above 2s');
    expect(m.text).toContain('Runbook: https://rb/x');
    expect(m.text).toContain('Incident: http://k/api/v1/incidents/acme-1');
  });

  test('a big group lists 20 alerts and says how many more', () => {
    const m = renderMessage('webhook', {}, ctx(incident(57)));
    expect(m.text.match(/^- HighLatency/gm)).toHaveLength(20);
    expect(m.text).toContain('… and 37 more alerts');
  });

  test('resolved messages say for how long it lasted (since helper)', () => {
    const m = renderMessage('webhook', {}, ctx(incident(1, { status: 'resolved' }), 'resolved'));
    expect(m.title).toBe('[RESOLVED] HighLatency (checkout)');
    expect(m.text).toBe('Resolved: HighLatency (checkout) after 45m.');
  });

  test('an update (partial resolve) says how many resolved and lists only what still fires, then the incident link', () => {
    const m = renderMessage('webhook', {}, ctx(partlyResolved(2, 1), 'updated'));
    // The title is the incident now: still firing, one alert; the status shows once.
    expect(m.title).toBe('[FIRING:1] HighLatency (checkout)');
    expect(m.text).toBe(
      ['Update: 1 of 2 alerts resolved: HighLatency (checkout). Still firing:', '- HighLatency on web-1: p99 above 2s', 'Runbook: https://rb/x', 'Incident: http://k/api/v1/incidents/acme-1'].join('\n'),
    );
    expect(m.layout).toMatchObject({ header: ['Update: 1 of 2 alerts resolved: HighLatency (checkout). Still firing:'], alerts: [{ lead: '- HighLatency on web-1: ', detail: 'p99 above 2s' }], omitted: 0 });
    // Acknowledged meanwhile: the title says so, and the update is still an update.
    const acked = renderMessage('webhook', {}, ctx(partlyResolved(3, 1, { status: 'acknowledged', acknowledgedBy: 'alice' }), 'updated'));
    expect(acked.title).toBe('[ACKNOWLEDGED] HighLatency (checkout)');
    expect(acked.text.startsWith('Update: 1 of 3 alerts resolved: HighLatency (checkout). Still firing:\n- HighLatency on web-1')).toBe(true);
    // Not the page's text: no severity headline, no anomaly advice.
    const advised = partlyResolved(2, 1, { anomaly: { mode: 'advise', score: 0.934, reason: 'rare for checkout at night', advise: true } });
    const update = renderMessage('webhook', {}, ctx(advised, 'updated'));
    expect(update.text).not.toContain('CRITICAL');
    expect(update.text).not.toContain('Anomaly');
  });

  test('a long partial resolve is truncated like a page: the still-firing alerts give way to the marker, header and link stay', () => {
    // 300 alerts, 100 resolved: the renderer lists 20 of the 200 still firing, fitMessage cuts further.
    const m = renderMessage('webhook', {}, ctx(partlyResolved(300, 100), 'updated'));
    expect(m.text).toContain('… and 180 more alerts');
    const fitted = fitMessage(m, 400);
    expect(fitted.text.length).toBeLessThanOrEqual(400);
    const lines = fitted.text.split('\n');
    expect(lines[0]).toBe('Update: 100 of 300 alerts resolved: HighLatency (checkout). Still firing:');
    expect(lines[lines.length - 1]).toBe('Incident: http://k/api/v1/incidents/acme-1');
    const listed = lines.filter((l) => l.startsWith('- '));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.length).toBeLessThan(20);
    // Only alerts still firing (web-100 …), and the marker counts exactly the ones not shown.
    for (const l of listed) expect(Number(/web-(\d+)/.exec(l)![1])).toBeGreaterThanOrEqual(100);
    expect(fitted.text).toContain(`… and ${200 - listed.length} more alerts`);
  });

  test('klaxon validate renders templates for an update too', () => {
    // Fails only when rendering an update: a sample set without one would let it through.
    expect(sampleRenderProblem('slack.text', '{{#if (eq kind "updated")}}{{incident.nosuchfield.deeper}}{{/if}}ok')).toMatch(/^fails for a updated incident/);
    expect(sampleRenderProblem('slack.text', '{{resolvedCount}} of {{alertCount}}')).toBeUndefined();
  });

  test('helpers: upper, join, truncate, json, duration; tenant overrides per receiver type win', () => {
    const overrides = { 'slack.text': '{{upper severity}} {{truncate incident.title 9}} [{{join (lookup incident "commonLabels") ", "}}] {{duration 5400000}} {{json incident.commonLabels}}' };
    const m = renderMessage('slack', overrides, ctx(incident(1)));
    expect(m.text).toBe('CRITICAL HighLate… [] 1h30m {"alertname":"HighLatency"}');
    expect(renderMessage('webhook', overrides, ctx(incident(1))).text).not.toContain('HighLate…');
  });

  test('in advise mode the message carries the anomaly score and reason', () => {
    const advised = incident(1, { anomaly: { mode: 'advise', score: 0.934, modelVersion: 3, reason: 'rare for checkout at night', advise: true } });
    expect(renderMessage('webhook', {}, ctx(advised)).text).toContain('Anomaly score 0.93: rare for checkout at night');
    const shadow = incident(1, { anomaly: { mode: 'shadow', score: 0.934, reason: 'x', advise: false } });
    expect(renderMessage('webhook', {}, ctx(shadow)).text).not.toContain('Anomaly');
  });

  test('a template error is a clear error naming the template, never an empty message', () => {
    expect(() => renderTemplate('slack.text', '{{incident.nosuchfield.deeper}}', ctx(incident(1)))).toThrow(TemplateError);
    expect(() => renderTemplate('slack.text', '{{incident.nosuchfield.deeper}}', ctx(incident(1)))).toThrow(/template slack\.text:/);
    expect(() => renderTemplate('x', '{{#if}}', ctx(incident(1)))).toThrow(/template x:/);
  });
});
