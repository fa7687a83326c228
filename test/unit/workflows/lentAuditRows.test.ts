import { IncidentState } from '../../../workflows/incidentState';

/**
 * Audit rows a page's send takes to write with its outcome (src/delivery/outcome.ts): the workflow's
 * audit writer must neither write them meanwhile nor lose them when the send could not.
 */
describe('audit rows lent to a send', () => {
  const make = () =>
    new IncidentState(
      { tenant: 't', groupKey: 'g', commonLabels: { alertname: 'A' }, receivedAt: '2026-01-01T00:00:00.000Z', alerts: [{ fingerprint: 'f', status: 'firing', labels: { alertname: 'A' }, annotations: {}, startsAt: '2026-01-01T00:00:00.000Z' }] },
      'wf',
      'run',
      new Date('2026-01-01T00:00:00.000Z'),
    );
  const at = new Date('2026-01-01T00:00:01.000Z');

  test('lent rows are not writable; written by the send, they leave pending; not written, they are the writer\'s again', () => {
    const i = make();
    i.record(at, 'opened', 'alertmanager');
    i.record(at, 'classified', 'klaxon');
    const seq = i.reserveSeqs(1);
    expect(i.lend('page-1').map((e) => e.kind)).toEqual(['opened', 'classified']);
    expect(i.writable).toEqual([]);
    // Another send started in the same moment finds nothing left to carry.
    expect(i.lend('page-2')).toEqual([]);
    // A row recorded meanwhile is the writer's.
    i.record(at, 'alerts.updated', 'alertmanager');
    expect(i.takeWritable().map((e) => e.kind)).toEqual(['alerts.updated']);

    i.recordAt(seq, at, 'notified', 'klaxon', {}, true);
    i.returnLent('page-1', true);
    expect(i.pending).toEqual([]);
    expect(i.timeline.map((e) => [e.seq, e.kind])).toEqual([[1, 'opened'], [2, 'classified'], [4, 'alerts.updated'], [3, 'notified']]);

    i.record(at, 'step.started', 'klaxon');
    const seq2 = i.reserveSeqs(1);
    i.lend('page-3');
    i.recordAt(seq2, at, 'notify.failed', 'klaxon', {}, false);
    i.returnLent('page-3', false);
    expect(i.takeWritable().map((e) => e.kind)).toEqual(['step.started', 'notify.failed']);
  });

  test('the last write before the run ends takes lent rows too (a rewrite of a row is ignored by the store)', () => {
    const i = make();
    i.record(at, 'opened', 'alertmanager');
    i.lend('page-1');
    expect(i.writable).toEqual([]);
    expect(i.takePending().map((e) => e.kind)).toEqual(['opened']);
    i.returnLent('page-1', false);
    expect(i.pending).toEqual([]);
  });
});
