import { shadowReport } from '../../../src/anomaly/report';
import type { ReportRow } from '../../../src/store/models';

const T0 = Date.parse('2025-01-01T10:00:00Z');
const iso = (min: number) => new Date(T0 + min * 60_000).toISOString();

function row(over: Partial<ReportRow>): ReportRow {
  return {
    incidentId: 'i',
    alertname: 'CPU',
    service: 'api',
    classifiedAt: iso(0),
    mode: 'shadow',
    modelVersion: 1,
    score: 0.1,
    declaredSeverity: 'warning',
    enforceSeverity: 'warning',
    enforceHold: false,
    startedAt: iso(0),
    ackedAt: null,
    ackedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    feedback: null,
    ...over,
  };
}

describe('shadow report', () => {
  test('counts what enforce would have held, lowered and raised, and which of those were later acked', () => {
    const r = shadowReport(
      [
        row({ incidentId: 'a', enforceHold: true, resolvedAt: iso(5), resolvedBy: 'alertmanager' }),
        row({ incidentId: 'b', enforceHold: true, ackedAt: iso(3), ackedBy: 'alice' }),
        row({ incidentId: 'c', enforceSeverity: 'info' }),
        row({ incidentId: 'd', alertname: 'Rare', enforceSeverity: 'critical', ackedAt: iso(2), ackedBy: 'bob' }),
        row({ incidentId: 'e', score: null, mode: 'shadow' }),
      ],
      { since: iso(-60), days: 1, transientWithinMs: 15 * 60_000 },
    );
    expect(r).toMatchObject({
      classified: 5,
      scored: 4,
      modes: { shadow: 5 },
      held: { incidents: 2, actionable: 1, noise: 1, unlabelled: 0 },
      lowered: { incidents: 1, actionable: 0, noise: 0, unlabelled: 1 },
      raised: { incidents: 1, actionable: 1 },
      patterns: [{ alertname: 'CPU', service: 'api', held: 2, lowered: 1, laterActionable: 1 }],
    });
  });
});
