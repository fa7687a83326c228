import type { Client, Connection } from '@temporalio/client';
import type { ConfigStore } from '../config/store';
import type { Database } from '../store/db';
import type { IncidentStore } from '../store/incidents';
import type { NotificationAttempts } from '../delivery/attempts';
import type { IngestService } from '../ingest/ingest';
import type { Heartbeats } from '../heartbeat/heartbeats';
import type { RunbookStore } from '../store/runbooks';
import type { RunbookSet } from '../runbook/load';
import type { CodecSettings } from './plugins/codec';
import type { SharedCircuitBreakers } from '../notifiers/sharedBreakers';

/** What route plugins may touch; app.ts wires it as the `klaxon` decorator. */
export interface Services {
  config: ConfigStore;
  temporal: Client;
  /** A connection without the client's retries, for health checks that must answer and end on time. */
  temporalProbe?: Connection;
  db: Database;
  incidents: IncidentStore;
  /** Failed notification tries, merged into an incident's timeline. */
  attempts: NotificationAttempts;
  /** Runbook runs and their timeline rows; the runbooks loaded (optional for tests that need none). */
  runbookStore?: RunbookStore;
  runbookSet?: RunbookSet;
  ingest: IngestService;
  /** Beats of the tenants' heartbeats (dead-man's switches); optional for tests that need none. */
  heartbeats?: Heartbeats;
  /** The remote codec server (`/codec/*`) for the Temporal Web UI; absent: not served. */
  codec?: CodecSettings;
  /** The receivers' circuit breakers shared by every worker (GET /api/v1/receivers/health); absent: this process's own. */
  breakers?: SharedCircuitBreakers;
  /** The task queue Klaxon's workers poll (GET /api/v1/status asks Temporal who polls it). */
  taskQueue?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    klaxon: Services;
  }
}
