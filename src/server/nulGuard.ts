import type { FastifyInstance } from 'fastify';
import type { FieldIssue } from './errors';

const NUL = '\u0000';

/** The paths of every string (and object key) holding a NUL character, in params, query and body. */
export function nulPaths(value: unknown, path: string[] = [], out: FieldIssue[] = [], depth = 0): FieldIssue[] {
  // JSON bodies are bounded by the body limit; the depth bound keeps a nesting bomb from the stack.
  if (out.length >= 20 || depth > 200) return out;
  const where = () => path.join('.') || '(root)';
  if (typeof value === 'string') {
    if (value.includes(NUL)) out.push({ path: where(), message: 'contains a NUL character (\\u0000), which the audit store (Postgres text) cannot hold' });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => nulPaths(v, [...path, String(i)], out, depth + 1));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes(NUL)) out.push({ path: [...path, k.replaceAll(NUL, '\\u0000')].join('.'), message: 'the key contains a NUL character (\\u0000)' });
      nulPaths(v, [...path, k.replaceAll(NUL, '\\u0000')], out, depth + 1);
    }
  }
  return out;
}

/** Whether any string or key holds a NUL: the common answer (no) without building a path per node. */
export function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (depth > 200 || !value || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => hasNul(v, depth + 1));
  for (const [k, v] of Object.entries(value)) if (k.includes(NUL) || hasNul(v, depth + 1)) return true;
  return false;
}

/**
 * Postgres refuses NUL in text and jsonb, so a request carrying one would fail deep inside a route
 * (a 500, or worse, an incident started whose audit row cannot be written). Refused at the edge
 * instead, for every route, with the field's path: no real client (Alertmanager, a browser, the CLI)
 * sends one.
 */
export function installNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request, reply) => {
    // Every request pays the check (a re-sent group is answered in a few hundred microseconds), so
    // the paths are worked out only for a request that has a NUL.
    if (!hasNul(request.params) && !hasNul(request.query) && !hasNul(request.body)) return;
    const issues = [...nulPaths(request.params, ['params']), ...nulPaths(request.query, ['query']), ...nulPaths(request.body, [])];
    if (issues.length) return reply.code(400).send({ error: 'invalid request', message: 'NUL characters are not accepted', issues });
  });
}
