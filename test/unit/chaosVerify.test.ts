import { verify, CHECKS, type AuditIncident } from '../../bench/chaos/verify';
import type { GroupRecord } from '../../bench/chaos/load';
import type { Arrival } from '../../bench/support/receiver';

/**
 * The chaos checks (`npm run chaos`) must see each kind of violation: a check that can never
 * fire would print 0 for any Klaxon.
 */
const T = 1_000_000;
const id = 'inc-1';

function group(over: Partial<GroupRecord> = {}): GroupRecord {
  return {
    index: 0,
    groupKey: 'g1',
    opened: { sentAt: T, answeredAt: T + 10, attempts: 1, incidentId: id, outcome: 'started' },
    resends: [],
    changes: [],
    resolved: { sentAt: T + 30_000, answeredAt: T + 30_010, attempts: 1, incidentId: id, outcome: 'updated' },
    lost: [],
    ...over,
  };
}

const arrival = (kind: string, key: string, at: number): Arrival => ({ at, kind, idempotencyKey: key, incidentId: id, bytes: 1 });
const event = (seq: number, kind: string, details: Record<string, unknown> = {}) => ({ seq, kind, details });

/** What a clean incident looks like: opened, paged, resolved, resolve notice. */
function healthy(): { arrivals: Arrival[]; audit: AuditIncident[] } {
  return {
    arrivals: [arrival('firing', `${id}/1/ops`, T + 100), arrival('resolved', `${id}/resolved/ops`, T + 30_100)],
    audit: [
      {
        id,
        groupKey: 'g1',
        status: 'resolved',
        events: [
          event(1, 'opened'),
          event(2, 'notified', { kind: 'firing', step: 0 }),
          event(3, 'alerts.updated'),
          event(4, 'resolved'),
          event(5, 'notified', { kind: 'resolved' }),
        ],
      },
    ],
  };
}

const counts = (g: GroupRecord, arrivals: Arrival[], audit: AuditIncident[]) => verify([g], arrivals, audit, []).counts;

test('a clean incident passes every check and gives a latency without faults', () => {
  const { arrivals, audit } = healthy();
  const v = verify([group()], arrivals, audit, []);
  expect(Object.values(v.counts)).toEqual(CHECKS.map(() => 0));
  expect(v.latency.quiet).toEqual([100]);
});

test('each check fires on its own violation', () => {
  const h = healthy();
  expect(counts(group(), h.arrivals, [])[CHECKS[0]]).toBe(1);
  expect(counts(group(), h.arrivals.filter((a) => a.kind !== 'firing'), h.audit)[CHECKS[1]]).toBe(1);
  expect(counts(group(), [...h.arrivals, arrival('firing', `${id}/1/ops`, T + 200)], h.audit)[CHECKS[2]]).toBe(1);
  const acked = group({ ack: { firstTriedAt: T + 1000, answeredAt: T + 1100, answer: 'ok', attempts: 1, unavailable: 0 } });
  const ackedAudit = [{ ...h.audit[0], events: [...h.audit[0].events, event(6, 'acknowledged'), event(7, 'notified', { kind: 'firing', step: 2 })] }];
  expect(counts(acked, [...h.arrivals, arrival('firing', `${id}/2/ops`, T + 2200)], ackedAudit)[CHECKS[3]]).toBe(1);
  expect(counts(acked, [...h.arrivals, arrival('firing', `${id}/2/ops`, T + 2000)], ackedAudit)[CHECKS[3]]).toBe(0);
  expect(counts(group(), [...h.arrivals, arrival('resolved', `${id}/unpaged/ops`, T + 30_200)], h.audit)[CHECKS[4]]).toBe(1);
});

test('the timeline check finds duplicated, missing and unaudited events', () => {
  const h = healthy();
  const withEvents = (events: AuditIncident['events']) => [{ ...h.audit[0], events }];
  const base = h.audit[0].events;
  // A change was accepted, but its alerts.updated is missing.
  expect(counts(group({ changes: [{ sentAt: T + 5000, answeredAt: T + 5010, attempts: 1 }] }), h.arrivals, h.audit)[CHECKS[5]]).toBe(1);
  // Two "notified" for one message.
  expect(counts(group(), h.arrivals, withEvents([...base, event(6, 'notified', { kind: 'resolved', duplicate: true })]))[CHECKS[5]]).toBe(1);
  // A gap in the sequence.
  expect(counts(group(), h.arrivals, withEvents(base.filter((e) => e.seq !== 3).concat(event(6, 'alerts.updated'))))[CHECKS[5]]).toBe(1);
  // A page arrived that the audit never recorded.
  expect(counts(group(), [...h.arrivals, arrival('firing', `${id}/2/ops`, T + 20_000)], h.audit)[CHECKS[5]]).toBe(1);
  // An ack answered 200 that the timeline does not show.
  expect(counts(group({ ack: { firstTriedAt: T, answeredAt: T + 5, answer: 'ok', attempts: 1, unavailable: 0 } }), h.arrivals, h.audit)[CHECKS[5]]).toBe(1);
});

test('a first page accepted near a fault counts as "with faults"', () => {
  const { arrivals, audit } = healthy();
  const v = verify([group()], arrivals, audit, [{ kind: 'kill -9 worker', start: T + 2000, end: T + 6000 }]);
  expect(v.latency).toEqual({ quiet: [], faulty: [100] });
});
