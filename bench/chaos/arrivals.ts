import type { Arrival, BenchReceiver } from '../support/receiver';
import { sleep } from './cluster';

/** Kinds of message that page someone; the others ('acknowledged', 'resolved') are notices. */
export const PAGE_KINDS: ReadonlySet<string> = new Set(['firing', 'escalated']);

/**
 * Everything the receiver double has seen, pulled from its process every 200 ms and indexed by
 * incident, so the load can act like a person (ack after the page) and the checks can read it all.
 */
export class Arrivals {
  readonly all: Arrival[] = [];
  private readonly byIncident = new Map<string, Arrival[]>();
  private polling = true;
  private readonly loop: Promise<void>;

  constructor(private readonly receiver: BenchReceiver) {
    this.loop = (async () => {
      while (this.polling) {
        await this.pull();
        await sleep(200);
      }
    })();
  }

  of(incidentId: string): Arrival[] {
    return this.byIncident.get(incidentId) ?? [];
  }

  firstPage(incidentId: string): Arrival | undefined {
    return this.of(incidentId).find((a) => PAGE_KINDS.has(a.kind ?? ''));
  }

  /** The incident's first page, or undefined once `deadline` (wall-clock ms) has passed. */
  async waitFirstPage(incidentId: string, deadline: number): Promise<Arrival | undefined> {
    for (;;) {
      const a = this.firstPage(incidentId);
      if (a || Date.now() > deadline) return a;
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    this.polling = false;
    await this.loop;
    await this.pull();
  }

  private async pull(): Promise<void> {
    for (const a of await this.receiver.take()) {
      this.all.push(a);
      if (!a.incidentId) continue;
      const list = this.byIncident.get(a.incidentId) ?? [];
      list.push(a);
      this.byIncident.set(a.incidentId, list);
    }
  }
}
