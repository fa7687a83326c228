import type { FailedAttempt, NotificationAttempts } from '../delivery/attempts';
import type { IncidentStore, StoredEvent } from '../store/incidents';
import type { RunbookStore } from '../store/runbooks';
import type { TimelineEntry } from './view';

/**
 * A notification try that did not deliver, as the timeline shows it. It is not one of the
 * workflow's events (the notify activity wrote it, best effort), so it has no `seq`.
 */
export interface AttemptEntry extends TimelineEntry {
  seq?: undefined;
  kind: 'notify.attempt';
  actor: 'klaxon';
  details: Pick<FailedAttempt, 'receiver' | 'kind' | 'attempt' | 'status' | 'reason' | 'retryInMs' | 'final'>;
}

/** A row of a runbook run's own timeline (it has its own numbering, so no `seq` here). */
export interface RunbookEntry extends TimelineEntry {
  seq?: undefined;
  runId: string;
}

/** One line of the incident's timeline: a workflow event (with its `seq`), a failed try or a runbook row (without). */
export type TimelineItem = StoredEvent | AttemptEntry | RunbookEntry;

/** An incident's timeline as the API and the incident page show it, read from the audit store. */
export async function readTimeline(
  stores: { incidents: IncidentStore; attempts: NotificationAttempts; runbookStore?: RunbookStore },
  incident: { id: string; tenant: string },
): Promise<TimelineItem[]> {
  const [events, attempts, runbook] = await Promise.all([
    stores.incidents.timeline(incident.id),
    stores.attempts.forIncident(incident.id, incident.tenant),
    stores.runbookStore?.eventsOf(incident.id, incident.tenant) ?? [],
  ]);
  return mergeTimeline(events, attempts, runbook);
}

/**
 * The timeline as people read it: the workflow's events (`events`, in `seq` order) with each failed
 * try placed before the first event recorded strictly later than it. A page's failed tries so come
 * before its outcome (`notified`, `notify.failed`), which the workflow records after the last try.
 *
 * Merged by time, but the workflow's events are never reordered: `seq` is the order the incident
 * lived through (the chaos verifier and the tests check it), while the two clocks (the workflow's
 * task time, the worker's clock for a try) are only comparable, not one sequence. A try at the very
 * millisecond of an event comes after it: the event is what made the send start.
 */
export function mergeTimeline(events: StoredEvent[], attempts: FailedAttempt[], others: RunbookEntry[] = []): TimelineItem[] {
  const side: Array<{ at: number; item: TimelineItem }> = [
    ...[...attempts].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.attempt - b.attempt).map((a) => ({ at: Date.parse(a.at), item: entry(a) as TimelineItem })),
    ...others.map((o) => ({ at: Date.parse(o.at), item: o as TimelineItem })),
  ];
  // Stable: tries keep their attempt order, a run's rows their own order, at equal times.
  side.sort((a, b) => a.at - b.at);
  const out: TimelineItem[] = [];
  let next = 0;
  for (const e of events) {
    const at = Date.parse(e.at);
    while (next < side.length && side[next].at < at) out.push(side[next++].item);
    out.push(e);
  }
  for (; next < side.length; next++) out.push(side[next].item);
  return out;
}

function entry(a: FailedAttempt): AttemptEntry {
  const details: AttemptEntry['details'] = { receiver: a.receiver, kind: a.kind, attempt: a.attempt, reason: a.reason, final: a.final };
  if (a.status !== undefined) details.status = a.status;
  if (a.retryInMs !== undefined) details.retryInMs = a.retryInMs;
  return { at: a.at, kind: 'notify.attempt', actor: 'klaxon', details };
}
