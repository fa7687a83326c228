import { patched } from '@temporalio/workflow';

/**
 * patched() id: a run that starts with this one marker has every change in BASELINE on, with no
 * marker of its own. Each marker also upserts Temporal's TemporalChangeVersion search attribute (a
 * visibility write), so an incident used to pay 17 of each over its life (issue #11: Temporal
 * server work per incident). Runs recorded before the baseline replay their own markers, change by
 * change; a change made after it is a plain patched() id again.
 */
const BASELINE = 'klaxon-baseline-1';

/**
 * The next baseline: BASELINE's changes plus IN_BASELINE_2's. A new run records only this marker;
 * runs that started with BASELINE (or before it) replay as they began.
 */
const BASELINE_2 = 'klaxon-baseline-2';

// Frozen too. Changes that only runs started with BASELINE_2 have (no patched() of their own: a
// run that began without them keeps its old shape to the end; its continue-as-new takes them).
export const LEAN_OPEN = 'klaxon-lean-open';
export const ONE_SLA_TIMER = 'klaxon-one-sla-timer';
export const AUDIT_AFTER_FIRST_PAGE = 'klaxon-audit-after-first-page';
const IN_BASELINE_2 = new Set([LEAN_OPEN, ONE_SLA_TIMER, AUDIT_AFTER_FIRST_PAGE]);

/** The next baseline: BASELINE_2's changes plus IN_BASELINE_3's. */
const BASELINE_3 = 'klaxon-baseline-3';

/**
 * A page's send writes its own outcome row to the audit store (and the rows recorded before it
 * started), at sequence numbers the workflow chose when it started the send (src/delivery/pager.ts).
 */
export const SENDS_WRITE_OUTCOMES = 'klaxon-sends-write-outcomes';
/**
 * A runbook match still running when the incident resolves (or continues as new) is waited for:
 * runs it claimed for a resolved incident are ended as cancelled instead of started (or dropped
 * with their claim still open, blocking that runbook for the service).
 */
export const RUNBOOK_MATCHES_FINISH = 'klaxon-runbook-matches-finish';
const IN_BASELINE_3 = new Set([SENDS_WRITE_OUTCOMES, RUNBOOK_MATCHES_FINISH]);

// Frozen: a run with the baseline marker replays these as on, so a change added later must never
// join this list (it gets its own patched() id, or a next baseline).
const IN_BASELINE = new Set([
  'klaxon-incident-id-tail',
  'klaxon-anomaly-classify',
  'klaxon-fast-first-try',
  'klaxon-ack-announcements',
  'klaxon-paging-v2',
  'klaxon-inhibition-signals',
  'klaxon-notice-handover',
  'klaxon-partial-resolve-updates',
  'klaxon-runbooks',
  'klaxon-runbook-approvers',
  'klaxon-sla',
  'klaxon-runbook-messages-after-pages',
  'klaxon-recheck-as-activity',
  'klaxon-personal-rules',
  'klaxon-flapping',
  'klaxon-durable-audit',
]);

// Module state is the workflow's own: the SDK evaluates workflow modules once per workflow run.
let baseline: 0 | 1 | 2 | 3 | undefined;

/** First thing in a run, before any command: which baseline it has (one marker at most). */
export function startWithBaseline(): void {
  baseline = patched(BASELINE_3) ? 3 : patched(BASELINE_2) ? 2 : patched(BASELINE) ? 1 : 0;
}

/**
 * patched(id), answered without a marker when this run has a baseline and the change is in it.
 * A change of IN_BASELINE_2 (IN_BASELINE_3) is on only in runs that started with that baseline or a later one.
 */
export function changed(id: string): boolean {
  if (IN_BASELINE_3.has(id)) return baseline === 3;
  if (IN_BASELINE_2.has(id)) return baseline !== undefined && baseline >= 2;
  return (baseline !== undefined && baseline >= 1 && IN_BASELINE.has(id)) || patched(id);
}
