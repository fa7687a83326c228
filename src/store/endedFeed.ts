import type pg from 'pg';
import type { Logger } from '../logger';

/** The channel the audit store notifies when it records an incident as resolved. */
export const ENDED_CHANNEL = 'klaxon_incident_ended';

export function endedPayload(workflowId: string, incidentId: string): string {
  return `${workflowId}\n${incidentId}`;
}

/**
 * Ends of incidents, heard as they are committed (Postgres LISTEN on ENDED_CHANNEL), so an HTTP
 * process answers an unchanged re-send from memory instead of reading the store each time (issue
 * #11). Whatever it holds is trusted only for the connection it was learned on: `epoch` names the
 * current connection, and a cache entry made on an earlier one (or while none was up) is checked
 * against the store as before. A lost connection is made again after `retryMs`.
 */
export class EndedFeed {
  private client?: pg.Client;
  private epoch = 0;
  private live = false;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly connect: () => pg.Client,
    private readonly onEnded: (workflowId: string, incidentId: string) => void,
    private readonly opts: { log?: Logger; retryMs?: number } = {},
  ) {}

  /** The current connection's epoch while it is listening; undefined while none is. */
  current(): number | undefined {
    return this.live ? this.epoch : undefined;
  }

  /** Whether every end since `epoch` began has been heard (so a cache entry made then is current). */
  trusted(epoch: number | undefined): boolean {
    return this.live && epoch !== undefined && epoch === this.epoch;
  }

  /** Listens; resolves once listening or once the first try failed (it keeps trying). */
  async start(): Promise<void> {
    const client = this.connect();
    this.client = client;
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.live = false;
      this.client = undefined;
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      this.opts.log?.warn({ err: err?.message }, 'lost the audit store listener; re-sends are checked against the store until it is back');
      this.retry = setTimeout(() => void this.start(), this.opts.retryMs ?? 1000);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => {
      if (n.channel !== ENDED_CHANNEL || !n.payload || this.client !== client) return;
      const [workflowId, incidentId] = n.payload.split('\n');
      if (workflowId && incidentId) this.onEnded(workflowId, incidentId);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${ENDED_CHANNEL}`);
      if (this.client !== client) return;
      this.epoch++;
      this.live = true;
    } catch (err) {
      lost(err as Error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.live = false;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
