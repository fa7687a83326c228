import type { IncidentView } from '../incident/view';
import { notifiedDetails, type SendAudit } from './outcome';
import { AUDIT_WRITE_BOUND_MS, AUDIT_WRITE_EARLY_MS } from './policy';
import { withTimeout } from '../timeout';

/**
 * Writes audit rows for an incident (its summary only while it is still firing: a later write of
 * the workflow's, an ack's say, must not be undone by this one).
 */
export type SendAuditWriter = (incident: IncidentView & { groupKey: string }, events: SendAudit['events']) => Promise<unknown>;

type Log = { warn(msg: string, meta?: Record<string, unknown>): void };

/**
 * One attempt of a page that writes its own audit rows (src/delivery/outcome.ts): the rows it
 * carries go in after AUDIT_WRITE_EARLY_MS if it has not delivered by then, wherever it is held up
 * (ledger, rate limit, vendor), or at once when the attempt fails; once delivered, they go in with
 * the outcome row. No write is ever waited for longer than AUDIT_WRITE_BOUND_MS.
 */
export class SendAuditAttempt {
  private carriedWrite?: Promise<boolean>;
  private readonly early?: NodeJS.Timeout;
  private readonly startedHere = Date.now();

  constructor(
    private readonly audit: SendAudit,
    private readonly incident: IncidentView,
    private readonly write: SendAuditWriter,
    private readonly log: Log,
    /** When the attempt was scheduled, on the Temporal server's clock (activity info). */
    private readonly scheduledAtMs?: number,
  ) {
    if (audit.events.length) this.early = setTimeout(() => void this.writeCarried(), AUDIT_WRITE_EARLY_MS);
  }

  /** The attempt ended without delivering: what it carries goes in now; the workflow records the outcome. */
  notDelivered(): void {
    clearTimeout(this.early);
    if (this.audit.events.length) void this.writeCarried();
  }

  /** Delivered before (the ledger says so): the workflow records it and writes what this carried. */
  leaveToWorkflow(): void {
    clearTimeout(this.early);
  }

  /**
   * Delivered: writes the outcome row, as the workflow records it (the same function), at the seq
   * it reserved, with the carried rows not yet in. Answers the row's time if it committed.
   */
  async delivered(result: { deliveredBy?: string; response?: string }, send: { kind: string; receiver: string; recipient?: { id: string } }): Promise<string | undefined> {
    clearTimeout(this.early);
    // On the server's clock, as workflow time is (scheduled there, plus what this attempt took
    // here), so the row's time agrees with the workflow's events (a time-skipping test server too).
    const at = new Date(this.scheduledAtMs ? this.scheduledAtMs + (Date.now() - this.startedHere) : Date.now()).toISOString();
    const row = { seq: this.audit.seq, at, kind: 'notified', actor: 'klaxon', details: notifiedDetails({ step: this.audit.step, ...send }, result) };
    const carried = this.carriedWrite && (await this.carriedWrite) ? [] : this.audit.events;
    return (await this.bounded([...carried, row])) ? at : undefined;
  }

  private writeCarried(): Promise<boolean> {
    return (this.carriedWrite ??= this.bounded(this.audit.events));
  }

  /** True when the write committed within AUDIT_WRITE_BOUND_MS; otherwise the workflow writes the rows. */
  private async bounded(rows: SendAudit['events']): Promise<boolean> {
    try {
      await withTimeout(this.write({ ...this.incident, groupKey: this.audit.groupKey }, rows), AUDIT_WRITE_BOUND_MS);
      return true;
    } catch (err) {
      // The workflow's audit activity retries until the store is back.
      this.log.warn('audit store: a page could not write its rows; the incident writes them', { error: (err as Error).message });
      return false;
    }
  }
}
