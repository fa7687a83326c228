import { deriveLabel, type OutcomeFacts } from '../../../src/anomaly/labels';

const T0 = '2025-01-01T10:00:00.000Z';
const at = (min: number) => new Date(Date.parse(T0) + min * 60_000).toISOString();
const facts = (f: Partial<OutcomeFacts>): OutcomeFacts => ({ startedAt: T0, ackedAt: null, ackedBy: null, resolvedAt: null, resolvedBy: null, feedback: null, ...f });
const within = 15 * 60_000;

describe('outcomes become labels', () => {
  test('acknowledged by a person: actionable', () => {
    expect(deriveLabel(facts({ ackedAt: at(3), ackedBy: 'alice', resolvedAt: at(30), resolvedBy: 'alice' }), within)).toEqual({ outcome: 'actionable', source: 'ack', y: 1 });
  });

  test('resolved by Alertmanager within transientWithin and never acked: transient', () => {
    expect(deriveLabel(facts({ resolvedAt: at(15), resolvedBy: 'alertmanager' }), within)).toEqual({ outcome: 'transient', source: 'auto-resolve', y: 0 });
    expect(deriveLabel(facts({ resolvedAt: at(5), resolvedBy: 'klaxon' }), within)).toMatchObject({ outcome: 'transient' });
  });

  test('resolved by itself later than transientWithin: unlabelled', () => {
    expect(deriveLabel(facts({ resolvedAt: at(16), resolvedBy: 'alertmanager' }), within)).toBeNull();
  });

  test('resolved by a person without an ack, or still open: unlabelled', () => {
    expect(deriveLabel(facts({ resolvedAt: at(2), resolvedBy: 'bob' }), within)).toBeNull();
    expect(deriveLabel(facts({}), within)).toBeNull();
  });

  test('an "ack" by Klaxon itself is not a person acting', () => {
    expect(deriveLabel(facts({ ackedAt: at(1), ackedBy: 'klaxon' }), within)).toBeNull();
  });

  test('explicit feedback overrides what the timeline says', () => {
    expect(deriveLabel(facts({ ackedAt: at(3), ackedBy: 'alice', feedback: 'noise' }), within)).toEqual({ outcome: 'noise', source: 'feedback', y: 0 });
    expect(deriveLabel(facts({ resolvedAt: at(2), resolvedBy: 'alertmanager', feedback: 'actionable' }), within)).toEqual({ outcome: 'actionable', source: 'feedback', y: 1 });
  });
});
