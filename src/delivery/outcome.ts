import type { TimelineEntry } from '../incident/view';
import type { Recipient } from '../notifiers/types';

/**
 * A send's outcome row in the incident's timeline, built by one function for both writers: the
 * workflow (src/delivery/pager.ts) and, for a page, the send itself (src/delivery/notifyActivity.ts),
 * which writes the row at a sequence number the workflow reserved when it started the send. Plain
 * code only: workflow code imports this file.
 */
export interface SendAudit {
  /** The outcome row's sequence number, reserved by the workflow when it started the send. */
  seq: number;
  groupKey: string;
  /** The policy step the page belongs to (the row says it). */
  step?: number;
  /** Rows the workflow recorded before the send started (the opening rows): written with it. */
  events: Array<TimelineEntry & { seq: number }>;
}

export function notifiedDetails(
  send: { step?: number; kind: string; receiver: string; recipient?: Pick<Recipient, 'id'> },
  r: { deliveredBy?: string; response?: string; duplicate?: boolean },
): Record<string, unknown> {
  const by = r.deliveredBy ?? send.receiver;
  return {
    ...(send.step !== undefined ? { step: send.step } : {}),
    kind: send.kind,
    receiver: by,
    ...(by !== send.receiver ? { fallbackFor: send.receiver } : {}),
    user: send.recipient?.id,
    response: r.response,
    duplicate: r.duplicate,
  };
}
