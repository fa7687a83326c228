/**
 * Delivery semantics in numbers, shared by the workflow (which schedules sends) and the activity
 * (which makes them). Plain values only: workflow code imports this file.
 *
 * Why these numbers:
 * - A send heartbeats every HEARTBEAT_EVERY_MS while it queues or waits for the vendor, and the
 *   worker sends heartbeats at most that often, so an ack's cancellation reaches the request within
 *   about a second (cancellation travels on heartbeat responses).
 * - A worker that dies mid-send is noticed after SEND_HEARTBEAT_TIMEOUT_MS; its lease on the
 *   idempotency key (the vendor's timeout plus LEASE_MARGIN_MS) keeps a retry from overlapping a
 *   request that may still be in flight.
 * - A receiver's timeout is capped (MAX_RECEIVER_TIMEOUT_MS) so one request can never outlive the
 *   lease that guards it.
 */
export const HEARTBEAT_EVERY_MS = 500;
export const SEND_HEARTBEAT_TIMEOUT_MS = 10_000;
export const MAX_RECEIVER_TIMEOUT_MS = 30_000;
export const LEASE_MARGIN_MS = 5_000;

/** One attempt may queue behind a rate limit and then wait for the vendor; heartbeats bound it. */
export const SEND_START_TO_CLOSE = 10 * 60_000;

/**
 * Pages retry until someone acts (ack, resolve, snooze cancel them): a vendor that is down for an
 * hour still gets the page when it comes back. Backoff caps at two minutes.
 */
export const PAGE_RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m' } as const;

/** Notices (acknowledged, resolved) follow a page and are worth less than one: about 18 minutes of tries. */
export const NOTICE_RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 12 } as const;

/** Failure types that mean the vendor refused for good: nothing went out, nothing will. */
export const REFUSED_TYPES = ['DeliveryRejected', 'UnknownReceiver', 'TemplateError'] as const;

/**
 * A page that writes its own audit rows (src/delivery/outcome.ts) writes the rows it carries early
 * when the vendor has not answered within AUDIT_WRITE_EARLY_MS (so the timeline never waits for a
 * slow vendor), and waits at most AUDIT_WRITE_BOUND_MS for a write: past it, or on any error, the
 * workflow writes the rows instead. Paging never waits longer than that on the audit store.
 */
export const AUDIT_WRITE_EARLY_MS = 1000;
export const AUDIT_WRITE_BOUND_MS = 2000;
