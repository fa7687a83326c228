import type { Client } from '@temporalio/client';
import type { ConfigStore } from '../config/store';
import type { Database } from '../store/db';
import type { IncidentStore } from '../store/incidents';
import type { IngestService } from '../ingest/ingest';

/** What route plugins may touch; app.ts wires it as the `klaxon` decorator. */
export interface Services {
  config: ConfigStore;
  temporal: Client;
  db: Database;
  incidents: IncidentStore;
  ingest: IngestService;
}

declare module 'fastify' {
  interface FastifyInstance {
    klaxon: Services;
  }
}
