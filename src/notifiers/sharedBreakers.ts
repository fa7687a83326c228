import { CircuitBreakers, DEFAULT_BREAKER, type Admission, type BreakerSettings, type CircuitState, type Entry, type ReceiverHealth } from './circuitBreaker';
import type { BreakerRow, SharedLimits } from './sharedLimits';

/**
 * Circuit breakers kept by all Klaxon processes together: failures seen by any worker count
 * towards opening a receiver's circuit, an open circuit is open for every worker, and exactly one
 * delivery of all of them is the half-open trial.
 *
 * The paging path pays no round trip while a circuit is closed: each process keeps the rows in
 * memory (the CircuitBreakers it extends), refreshed every `refreshMs` and by the answers to its
 * own writes. Outcomes are written through without being awaited. Only the rare moment a cooldown
 * ends costs a round trip (claiming the trial). While the store is unreachable the in-memory
 * breaker decides alone, as it did before breakers were shared.
 */
export class SharedCircuitBreakers extends CircuitBreakers {
  private readonly versions = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: SharedLimits,
    now: () => number = Date.now,
  ) {
    super(now);
  }

  /** Keeps the in-memory rows fresh (every worker's outcomes) until stop(). */
  start(refreshMs = 1000): this {
    this.timer ??= setInterval(() => void this.refresh(), refreshMs).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads every receiver's row now; false when the store was unreachable. */
  async refresh(): Promise<boolean> {
    const rows = await this.store.breakers();
    for (const row of rows ?? []) this.adopt(row);
    return rows !== undefined;
  }

  override async admission(tenant: string, receiver: string, settings: BreakerSettings = DEFAULT_BREAKER): Promise<Admission> {
    const e = this.entry(tenant, receiver);
    const cooling = e.state === 'open' && (e.openedAt ?? 0) + settings.cooldownMs > this.now();
    if (e.state === 'closed' || cooling || !this.store.reachable()) return this.admit(tenant, receiver, settings);
    // The cooldown is over (or another worker's trial may have ended): one trial for all workers.
    const claim = await this.store.claimTrial(tenant, receiver, settings.cooldownMs);
    if (!claim) return this.admit(tenant, receiver, settings);
    this.adopt(claim.row, true);
    if (claim.granted) {
      e.trialInFlight = true;
      return { allowed: true };
    }
    // (adopt() may have changed the state: TypeScript still narrows it from the check above)
    const state = e.state as CircuitState;
    if (state === 'closed') return { allowed: true };
    const remaining = state === 'open' ? (e.openedAt ?? this.now()) + settings.cooldownMs - this.now() : 0;
    return { allowed: false, retryAfterMs: Math.max(remaining, Math.min(settings.cooldownMs, 1000)) };
  }

  override recordSuccess(tenant: string, receiver: string): void {
    const e = this.entry(tenant, receiver);
    // A success on a healthy receiver changes nothing anywhere: no write on the common path.
    const news = e.state !== 'closed' || e.failures > 0;
    super.recordSuccess(tenant, receiver);
    if (news) void this.store.recordSuccess(tenant, receiver).then((row) => row && this.adopt(row));
  }

  override recordFailure(tenant: string, receiver: string, error: string, settings: BreakerSettings = DEFAULT_BREAKER): void {
    super.recordFailure(tenant, receiver, error, settings);
    void this.store.recordFailure(tenant, receiver, settings.failures, error).then((row) => row && this.adopt(row));
  }

  override release(tenant: string, receiver: string): void {
    const trial = this.entry(tenant, receiver).state === 'half-open';
    super.release(tenant, receiver);
    if (trial) this.store.releaseTrial(tenant, receiver);
  }

  /** Every receiver's breaker as the shared store has it now (any role), or this process's view while it is unreachable. */
  async sharedHealth(tenant?: string): Promise<ReceiverHealth[]> {
    const rows = await this.store.breakers(tenant);
    for (const row of rows ?? []) this.adopt(row);
    return this.health().filter((h) => tenant === undefined || h.tenant === tenant);
  }

  /**
   * Takes the store's row as this process's state (listeners hear a change). Answers may arrive out
   * of order; an older one than what is held is ignored unless `force` (a claim's answer is newest).
   */
  private adopt(row: BreakerRow, force = false): void {
    const key = `${row.tenant}/${row.receiver}`;
    if (!force && (this.versions.get(key) ?? -Infinity) > row.version) return;
    this.versions.set(key, row.version);
    const e: Entry = this.entry(row.tenant, row.receiver);
    e.failures = row.failures;
    e.lastError = row.lastError ?? undefined;
    e.openedAt = row.openForMs === null ? undefined : this.now() - row.openForMs;
    // trialInFlight stays this process's own trial: another worker's trial is the store's to
    // guard (admission() asks it while half-open), and were the store to go away, this process
    // must not wait for a trial whose end it would never hear of.
    if (row.state !== 'half-open') e.trialInFlight = false;
    if (e.state === 'half-open' && row.state === 'open') {
      // A trial failed (here or elsewhere): re-opened, and listeners hear it as local breakers tell it.
      e.state = 'open';
      this.notify(e, 'half-open');
    } else this.transition(e, row.state);
  }
}
