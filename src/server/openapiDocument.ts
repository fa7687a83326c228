import { ConfigStore } from '../config/store';
import { parseConfig } from '../config/load';
import { createLogger } from '../logger';
import { buildApp } from './app';
import type { Services } from './services';

/**
 * The OpenAPI document the server serves at /docs/json, built from the routes alone: no Temporal,
 * store or tenant is needed to list routes, so the services are left unset (nothing is called).
 * `npm run openapi` writes it to openapi.json; a test keeps that file in step with the routes.
 */
export async function openapiDocument(): Promise<Record<string, unknown>> {
  const parsed = parseConfig('tenants: {}\n', {});
  if (!parsed.ok) throw new Error('empty config refused: ' + JSON.stringify(parsed.problems));
  const unused = {} as never;
  const services: Services = { config: new ConfigStore(parsed.config), temporal: unused, db: unused, incidents: unused, attempts: unused, ingest: unused };
  const app = await buildApp(services, createLogger({ level: 'silent' }));
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}

export function openapiText(doc: Record<string, unknown>): string {
  return JSON.stringify(doc, null, 2) + '\n';
}
