import { HistoryIndex, labelsKey, tzOffsetMinutes } from '../../../src/anomaly/vector';

const H = 3_600_000;

describe('incident history for the feature vector', () => {
  const t = Date.parse('2025-03-10T12:00:00Z');
  const a = { alertname: 'A', service: 's' };
  const index = new HistoryIndex([
    { alertname: 'A', labels: a, startedAt: t - 30 * 60_000 },
    { alertname: 'A', labels: { ...a, pod: 'x' }, startedAt: t - 2 * H },
    { alertname: 'A', labels: a, startedAt: t - 25 * H },
    { alertname: 'B', labels: { alertname: 'B' }, startedAt: t - 60_000 },
    { alertname: 'A', labels: a, startedAt: t }, // the incident itself: not before t
  ]);

  test('counts the same alertname in the hour and day before, flaps by identical labels, time since the last', () => {
    expect(index.historyAt('A', { service: 's', alertname: 'A' }, t)).toEqual({ sameAlertname1h: 1, sameAlertname24h: 2, flaps24h: 1, secondsSinceLastSameAlertname: 1800 });
  });

  test('an alertname never seen before', () => {
    expect(index.historyAt('C', { alertname: 'C' }, t)).toEqual({ sameAlertname1h: 0, sameAlertname24h: 0, flaps24h: 0, secondsSinceLastSameAlertname: null });
  });

  test('label identity ignores key order', () => {
    expect(labelsKey({ a: '1', b: '2' })).toBe(labelsKey({ b: '2', a: '1' }));
  });

  test('time-of-day features use the tenant zone, across DST', () => {
    expect(tzOffsetMinutes('UTC', new Date(t))).toBe(0);
    expect(tzOffsetMinutes('Europe/Berlin', new Date('2025-01-15T12:00:00Z'))).toBe(60);
    expect(tzOffsetMinutes('Europe/Berlin', new Date('2025-07-15T12:00:00Z'))).toBe(120);
  });
});
