import { patched } from '@temporalio/workflow';

/**
 * patched() id: a run that starts with this one marker has every change in BASELINE on, with no
 * marker of its own. Each marker also upserts Temporal's TemporalChangeVersion search attribute (a
 * visibility write), so an incident used to pay 17 of each over its life (issue #11: Temporal
 * server work per incident). Runs recorded before the baseline replay their own markers, change by
 * change; a change made after it is a plain patched() id again.
 */
const BASELINE = 'klaxon-baseline-1';

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
let baseline: boolean | undefined;

/** First thing in a run, before any command: whether it has the baseline. */
export function startWithBaseline(): void {
  baseline = patched(BASELINE);
}

/** patched(id), answered without a marker when this run has the baseline and the change is in it. */
export function changed(id: string): boolean {
  return (baseline === true && IN_BASELINE.has(id)) || patched(id);
}
