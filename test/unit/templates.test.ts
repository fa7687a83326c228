import { renderMessage, renderTemplate, TemplateError } from '../../src/templates/render';
import type { IncidentView } from '../../src/incident/view';

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
