import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openapiDocument, openapiText } from '../../src/server/openapiDocument';

const FILE = join(__dirname, '..', '..', 'openapi.json');

describe('OpenAPI document', () => {
  let doc: Record<string, unknown>;
  beforeAll(async () => {
    doc = await openapiDocument();
  });

  test('openapi.json is what the routes generate (run `npm run openapi` after changing a route)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(openapiText(doc));
  });

  test('every /api route asks for the bearer token and names its permission; the webhook asks for the tenant token', () => {
    const paths = doc.paths as Record<string, Record<string, { security?: unknown; description?: string }>>;
    const api = Object.entries(paths).filter(([p]) => p.startsWith('/api/'));
    expect(api.length).toBeGreaterThan(15);
    for (const [path, ops] of api) {
      for (const [method, op] of Object.entries(ops)) {
        expect({ route: `${method} ${path}`, security: op.security }).toEqual({ route: `${method} ${path}`, security: [{ bearerAuth: [] }] });
        expect(op.description).toMatch(/Needs permission `(read|write|escalate|admin)`/);
      }
    }
    expect(paths['/api/v1/incidents/{id}/ack'].post.description).toContain('`write`');
    expect(paths['/webhook/{tenant}'].post.security).toEqual([{ webhookToken: [] }]);
    expect((doc.components as { securitySchemes: Record<string, { scheme: string }> }).securitySchemes.bearerAuth.scheme).toBe('bearer');
  });

  test('request schemas come from the zod schemas (an action body, a query enum)', () => {
    const paths = doc.paths as Record<string, Record<string, { parameters?: Array<{ name: string; in: string; schema?: { enum?: string[] } }>; requestBody?: unknown }>>;
    const status = paths['/api/v1/incidents'].get.parameters!.find((p) => p.name === 'status');
    expect(status).toMatchObject({ in: 'query', schema: { enum: ['firing', 'acknowledged', 'resolved'] } });
    expect(JSON.stringify(paths['/api/v1/incidents/{id}/snooze'].post.requestBody)).toContain('duration');
  });
});
