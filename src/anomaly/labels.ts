/**
 * Outcomes become labels for the anomaly models. An incident is
 *
 * - **actionable** when a person acknowledged (or snoozed) it, or said so (feedback);
 * - **transient** when it resolved by itself (Alertmanager or a `resolveAfter` step) within the
 *   tenant's `transientWithin` and nobody acknowledged it;
 * - **noise** when a person said so (feedback).
 *
 * Explicit feedback overrides what the timeline suggests (someone may ack an alert only to find it
 * was noise). Anything else is unlabelled: still open, resolved by a person without an ack (which
 * may mean "handled" or "cleared away"), or resolved by itself after a long time unacknowledged.
 * For the models, actionable is 1 and transient/noise are 0: a good anomaly score ranks actionable
 * incidents above noisy ones (ROC AUC on those labels).
 */
export type Outcome = 'actionable' | 'transient' | 'noise';
export type OutcomeSource = 'feedback' | 'ack' | 'auto-resolve';
export type FeedbackLabel = 'noise' | 'actionable';

/** Timeline actors that are Klaxon or Alertmanager, not a person. */
export const SYSTEM_ACTORS: readonly string[] = ['klaxon', 'alertmanager'];

/** What the audit store knows about an incident's end, as read by ModelStore.outcomeFacts. */
export interface OutcomeFacts {
  startedAt: string;
  /** First acknowledgement or snooze by a person. */
  ackedAt: string | null;
  ackedBy: string | null;
  /** First resolution, and who resolved. */
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** Latest explicit feedback. */
  feedback: FeedbackLabel | null;
}

export interface Label {
  outcome: Outcome;
  source: OutcomeSource;
  /** 1 actionable, 0 transient or noise. */
  y: 0 | 1;
}

export function isPerson(actor: string | null | undefined): actor is string {
  return !!actor && !SYSTEM_ACTORS.includes(actor);
}

export function deriveLabel(f: OutcomeFacts, transientWithinMs: number): Label | null {
  if (f.feedback) return { outcome: f.feedback, source: 'feedback', y: f.feedback === 'actionable' ? 1 : 0 };
  if (f.ackedAt && isPerson(f.ackedBy)) return { outcome: 'actionable', source: 'ack', y: 1 };
  if (f.resolvedAt && !isPerson(f.resolvedBy)) {
    const lasted = Date.parse(f.resolvedAt) - Date.parse(f.startedAt);
    if (lasted >= 0 && lasted <= transientWithinMs) return { outcome: 'transient', source: 'auto-resolve', y: 0 };
  }
  return null;
}
