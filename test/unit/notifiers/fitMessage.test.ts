import { renderMessage } from '../../../src/templates/render';
import { fitMessage, fitMessageText } from '../../../src/notifiers/fitMessage';
import { moreAlertsMarker, truncateText } from '../../../src/notifiers/truncate';
import { layoutText } from '../../../src/templates/layout';
import type { IncidentView } from '../../../src/incident/view';

/** Alert-aware truncation of the default template's messages (issue #8). */

function incident(summaries: string[], over: Partial<IncidentView> = {}): IncidentView {
  return {
    id: 'acme-1', tenant: 'acme', workflowId: 'w', runId: 'r', title: 'HighLatency (checkout)', status: 'firing',
    severity: 'critical', declaredSeverity: 'critical', alertname: 'HighLatency', service: 'checkout',
    startedAt: '2026-01-01T10:00:00Z', commonLabels: { alertname: 'HighLatency' },
    alerts: summaries.map((summary, i) => ({
      fingerprint: `f${i}`, status: 'firing' as const, labels: { alertname: 'HighLatency', instance: `web-${i}` },
      annotations: { summary }, startsAt: '2026-01-01T10:00:00Z',
    })),
    links: { incident: 'http://k/api/v1/incidents/acme-1', workflow: 'http://ui/w', runbook: 'https://rb/x' },
    timeline: [],
    ...over,
  };
}

const render = (inc: IncidentView, overrides: Record<string, string> = {}) =>
  renderMessage('webhook', overrides, { kind: 'firing', incident: inc, now: '2026-01-01T10:45:00Z' });
const alertLines = (text: string) => text.split('\n').filter((l) => l.startsWith('- '));
const markerCount = (text: string) => Number(/^… and (\d+) more alerts?$/m.exec(text)?.[1] ?? 0);
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('fitMessageText (alert-aware)', () => {
  it('keeps header and footer, drops whole alerts, and says exactly how many are not shown', () => {
    const m = render(incident(Array.from({ length: 12 }, (_, i) => `p99 above 2s on shard ${i}`)));
    const out = fitMessageText(m, 300);
    expect(out.length).toBeLessThanOrEqual(300);
    const lines = out.split('\n');
    expect(lines[0]).toBe('CRITICAL HighLatency (checkout)');
    expect(lines.slice(-2)).toEqual(['Runbook: https://rb/x', 'Incident: http://k/api/v1/incidents/acme-1']);
    const shown = alertLines(out);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(12);
    expect(lines[lines.length - 3]).toBe(moreAlertsMarker(12 - shown.length));
    // As many alerts as fit: the first ones, unchanged.
    expect(shown).toEqual(alertLines(m.text).slice(0, shown.length));
  });

  it('cuts a long summary before dropping any alert', () => {
    const summaries = ['x'.repeat(5000), ...Array.from({ length: 5 }, (_, i) => `disk ${i} almost full`)];
    const m = render(incident(summaries));
    const out = fitMessageText(m, 1000);
    expect(out.length).toBeLessThanOrEqual(1000);
    const shown = alertLines(out);
    expect(shown).toHaveLength(6);
    expect(shown[0]).toMatch(/^- HighLatency on web-0: x+…$/);
    expect(shown.slice(1)).toEqual(alertLines(m.text).slice(1));
    expect(out).not.toContain('more alert');
    expect(out.endsWith('Incident: http://k/api/v1/incidents/acme-1')).toBe(true);
  });

  it('cuts the longest summaries first, evenly, and not below a readable minimum', () => {
    const m = render(incident(['a'.repeat(3000), 'b'.repeat(2000), 'short one']));
    const out = fitMessageText(m, 900);
    const [a, b, c] = alertLines(out);
    expect(c).toBe('- HighLatency on web-2: short one');
    expect(Math.abs(a.length - b.length)).toBeLessThanOrEqual(1);
    expect(out.length).toBeLessThanOrEqual(900);
    // With too little room for 40 characters of each summary, alerts go instead.
    const tight = fitMessageText(render(incident(Array.from({ length: 8 }, () => 'y'.repeat(500)))), 400);
    for (const line of alertLines(tight)) expect(line.length).toBeGreaterThanOrEqual('- HighLatency on web-0: '.length + 40);
    expect(markerCount(tight)).toBe(8 - alertLines(tight).length);
  });

  it("merges with the renderer's own cut (moreFiring): one marker, exact count", () => {
    const m = render(incident(Array.from({ length: 57 }, () => 'p99 above 2s')));
    expect(markerCount(m.text)).toBe(37);
    const out = fitMessageText(m, 500);
    expect(out.match(/more alert/g)).toHaveLength(1);
    expect(markerCount(out)).toBe(57 - alertLines(out).length);
    expect(out.endsWith('Incident: http://k/api/v1/incidents/acme-1')).toBe(true);
  });

  it('says "1 more alert" in the singular', () => {
    const m = render(incident(Array.from({ length: 21 }, () => 'p99 above 2s')));
    expect(m.text).toContain('… and 1 more alert\n');
  });

  it('never exceeds the limit, never throws, never splits a surrogate pair, for any limit', () => {
    const m = render(incident(Array.from({ length: 25 }, (_, i) => '😀'.repeat(30 + i * 7) + ' é')), );
    for (let limit = 0; limit <= m.text.length + 5; limit += limit < 120 ? 1 : 37) {
      const out = fitMessageText(m, limit);
      expect(out.length).toBeLessThanOrEqual(limit);
      expect(out).not.toMatch(loneSurrogate);
      expect((out.match(/more alert/g) ?? []).length).toBeLessThanOrEqual(1);
      if (alertLines(out).length > 0) expect(markerCount(out)).toBe(25 - alertLines(out).length);
    }
  });

  it('with an escape function, the escaped text fits and no entity is cut in half', () => {
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const m = render(incident(Array.from({ length: 10 }, () => '<b>&'.repeat(100))));
    for (const limit of [50, 200, 777, 1500]) {
      const out = fitMessageText(m, limit, { escape: esc });
      expect(out.length).toBeLessThanOrEqual(limit);
      expect(out).not.toMatch(/&(?!amp;|lt;|gt;)/);
      expect(out).not.toMatch(/[<>]/);
    }
  });

  it('a prefix (mention, headline) counts toward the limit', () => {
    const m = render(incident(Array.from({ length: 30 }, () => 'p99 above 2s')));
    const out = fitMessageText(m, 400, { prefix: '<@U123> ' });
    expect(out.startsWith('<@U123> CRITICAL')).toBe(true);
    expect(out.length).toBeLessThanOrEqual(400);
  });

  it('custom templates (no marked structure) keep the line-based behaviour', () => {
    const custom = { 'webhook.text': '{{#each firing}}* {{labels.instance}} {{annotations.summary}}\n{{/each}}' };
    const m = render(incident(Array.from({ length: 40 }, () => 'p99 above 2s')), custom);
    expect(m.layout).toBeUndefined();
    expect(fitMessageText(m, 200)).toBe(truncateText(m.text, 200));
  });

  it('a text that no longer matches its layout is fitted line by line', () => {
    const m = render(incident(Array.from({ length: 40 }, () => 'p99 above 2s')));
    const changed = { ...m, text: m.text + '\nextra' };
    expect(fitMessageText(changed, 200)).toBe(truncateText(changed.text, 200));
  });

  it('fitMessage (deliver) returns a text and a layout that agree, so a channel can fit again', () => {
    const m = render(incident(Array.from({ length: 12 }, () => 'z'.repeat(200))));
    const fitted = fitMessage(m, 1200);
    expect(fitted.text.length).toBeLessThanOrEqual(1200);
    expect(fitted.layout && layoutText(fitted.layout)).toBe(fitted.text);
    const again = fitMessageText(fitted, 600);
    expect(markerCount(again)).toBe(12 - alertLines(again).length);
  });
});
