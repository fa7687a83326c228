import { ApplicationFailure } from '@temporalio/activity';

/**
 * How a runbook step fails, as Temporal's retry policy needs to know it: `unavailable` is worth
 * another try (network, timeout, 5xx, 429: the far side may recover, and says when with
 * Retry-After); everything else is a runbook or configuration bug that a retry would only repeat.
 * The types let the workflow side (and the incident's timeline) tell the cases apart.
 */
export const STEP_FAILURE = {
  /** The tenant's kill switch is off (`runbooks.enabled: false`). */
  disabled: 'RunbooksDisabled',
  unknownTenant: 'UnknownTenant',
  /** A host or command outside the tenant's allow-lists. */
  notAllowed: 'RunbookStepNotAllowed',
  /** Arguments no try can make work: a bad URL, matcher, duration, no Prometheus configured. */
  invalid: 'RunbookStepInvalid',
  /** The far side could not answer now. Retryable. */
  unavailable: 'RunbookStepUnavailable',
  /** The far side answered, and the answer was no (4xx, an unexpected status). */
  rejected: 'RunbookStepRejected',
  /** Prometheus could not run the PromQL (`status: "error"`). */
  promQuery: 'PromQueryError',
  /** The command outlived its timeout and was killed; not retried, as a retry would run it again. */
  execTimedOut: 'ExecTimedOut',
} as const;

export type StepFailureType = (typeof STEP_FAILURE)[keyof typeof STEP_FAILURE];

/** A failure no retry can fix. */
export function refused(type: StepFailureType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? undefined : [details] });
}

/** A failure worth another try, no sooner than `retryAfterMs` when the far side said so. */
export function unavailable(message: string, retryAfterMs?: number, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: STEP_FAILURE.unavailable,
    message,
    // At least a second: `Retry-After: 0` from a struggling server should not become a tight loop.
    nextRetryDelay: retryAfterMs === undefined ? undefined : Math.max(retryAfterMs, 1000),
    details: details === undefined ? undefined : [details],
  });
}
