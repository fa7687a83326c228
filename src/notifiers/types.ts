import type { ReceiverConfig, ReceiverType, ReceiverOf } from '../config/receivers';
import type { IncidentView } from '../incident/view';
import type { MessageLayout } from '../templates/layout';

/**
 * What a channel is asked to deliver. `kind` says which moment of the incident this is; `text` and
 * `title` are already rendered (Handlebars) so a notifier only shapes the vendor's request.
 */
export interface NotificationMessage {
  /**
   * `updated`: some, not all, of the incident's alerts resolved ("1 of 2 alerts resolved"). It only
   * continues a conversation the receiver already has (deliver() never posts it anew) and is news,
   * not a page: no channel may re-notify loudly for it (no broadcast, re-trigger, ticket transition).
   */
  kind: 'firing' | 'acknowledged' | 'resolved' | 'escalated' | 'test' | 'updated';
  incident: IncidentView;
  title: string;
  text: string;
  /** Which lines of `text` are header, alerts and footer (default templates), for truncation. */
  layout?: MessageLayout;
  /** Stable per (incident run, step, receiver): sent as the vendor's dedup key where one exists. */
  idempotencyKey: string;
  /** What an earlier send of this incident to this receiver returned (message ts, issue key, …). */
  thread?: ThreadRef;
  /** Set when a person is paged through a shared channel: direct the message to them (DM, mail to, mention). */
  recipient?: Recipient;
}

/** A person being paged, with the contact details a channel needs to reach them. */
export interface Recipient {
  id: string;
  name: string;
  email?: string;
  slack?: string;
  telegram?: string;
  phone?: string;
  /** Their ntfy topic or Pushover user key (on the receiver's server, with its credentials). */
  push?: string;
}

/** Vendor reference to the message/thread/ticket created by a send; JSON-serialisable. */
export type ThreadRef = Record<string, string>;

export interface DeliveryResult {
  /** Reference to store for later updates (resolve in the same thread, close the ticket, …). */
  thread?: ThreadRef;
  /** Short vendor answer for the audit row and `klaxon test-receiver` (no secrets). */
  response?: string;
  /**
   * Nothing was sent: the channel has no way to say this without paging again (PagerDuty and an
   * `updated`), or no conversation to continue. No vendor was asked, so the circuit breaker learns nothing.
   */
  skipped?: true;
}

/** Everything a notifier may use besides its config: shared HTTP delivery and a clock for tests. */
export interface NotifierContext {
  http: import('./http').HttpDelivery;
  now(): Date;
  /**
   * For channels that talk through a vendor SDK instead of `http` (SNS): the delivery's cancel
   * signal, and the hook to run right before the request is written. `http.send` applies both itself.
   */
  signal?: AbortSignal;
  beforeRequest?: () => void;
}

/**
 * One channel. `send` posts a new message; `update` changes what an earlier send created (thread
 * reply, chat.update, ticket transition) and is used for ack/resolve and partial-resolve updates
 * when the vendor supports it.
 */
export interface Notifier<T extends ReceiverType = ReceiverType> {
  type: T;
  /** Longest text the channel accepts; longer texts are fitted by fitMessage (cut summaries, then "… and N more alerts"). */
  maxTextLength?: number;
  /**
   * A re-page (firing/escalated) to a receiver that already has the incident's thread goes through
   * `update` — a comment on the one ticket, a reply that notifies in the thread — instead of a
   * second ticket or message. Unset where `update` only edits silently (a re-page must wake someone).
   */
  repageInThread?: boolean;
  /** Vendor default rate limit when the receiver config sets none. */
  defaultRateLimit?: { per: number; everyMs: number };
  /**
   * A new message here reads as a message to a person, not as a new incident or ticket: a runbook's
   * approval request reaches a named approver with no thread of the incident this way. Unset for
   * incident tools (a new alert or ticket would be another page).
   */
  directMessages?: boolean;
  send(config: ReceiverOf<T>, message: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult>;
  update?(config: ReceiverOf<T>, message: NotificationMessage & { thread: ThreadRef }, ctx: NotifierContext): Promise<DeliveryResult>;
}

export type AnyNotifier = Notifier<ReceiverType>;
export type { ReceiverConfig };
