import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { changed } from './patches';
import type { KlaxonActivities } from '../activities';

/**
 * patched() id: audit rows are written by a regular activity. A local activity runs inside the
 * workflow task, so a task that is then thrown away (worker killed, task timed out, update
 * aborted) has already written rows its retry numbers differently; the stale rows won and real
 * events vanished (issue #8, scenario 14). A regular activity is scheduled only by a task that
 * completed, so every row belongs to history and a retry writes the same rows again.
 */
const DURABLE_AUDIT = 'klaxon-durable-audit';

const retry = { initialInterval: '200ms', maximumInterval: '10s' } as const;
const { recordIncident: recordAfterCommit } = proxyActivities<KlaxonActivities>({ startToCloseTimeout: '10s', retry });
// Runs started before DURABLE_AUDIT keep their local activity so their histories replay.
const { recordIncident: recordInTask } = proxyLocalActivities<KlaxonActivities>({ startToCloseTimeout: '10s', retry });

export type RecordIncident = KlaxonActivities['recordIncident'];

/**
 * The audit writer for this run, chosen once at its start: patched() is true for new runs and for
 * old runs once they stop replaying, and a run must not switch writers half way.
 */
export function auditWriter(): { write: RecordIncident; afterCommit: boolean } {
  const afterCommit = changed(DURABLE_AUDIT);
  const proxy = afterCommit ? recordAfterCommit : recordInTask;
  // The Web UI shows which events a write carries (kinds only).
  const write: RecordIncident = (args) => proxy.executeWithOptions({ summary: `audit ${[...new Set(args.events.map((e) => e.kind))].join(', ')}`.slice(0, 150) }, [args]);
  return { write, afterCommit };
}
