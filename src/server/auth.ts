import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Secret } from '../config/secret';
import type { TenantConfig } from '../config/schema';

/**
 * Constant-time bearer check. Both sides are hashed first so the comparison takes the same time
 * whatever the lengths, and a wrong guess learns nothing about the token.
 */
export function bearerMatches(header: string | undefined, expected: Secret): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const given = createHash('sha256').update(m ? m[1].trim() : '').digest();
  const want = createHash('sha256').update(expected.reveal()).digest();
  return timingSafeEqual(given, want) && m !== null;
}

/**
 * Finds the tenant whose API token the request carries (a token of tenant A never reads tenant B).
 * Checks every tenant so timing does not reveal which one matched.
 */
export function tenantForApiToken(tenants: Record<string, TenantConfig>, header: string | undefined): string | undefined {
  let found: string | undefined;
  for (const [name, t] of Object.entries(tenants)) if (bearerMatches(header, t.api.token) && !found) found = name;
  return found;
}

export function unauthorized(reply: FastifyReply) {
  return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'missing or invalid bearer token' });
}

/** preHandler for /api/v1: sets request.tenant from the API token or answers 401. */
export async function requireApiTenant(request: FastifyRequest, reply: FastifyReply) {
  const tenant = tenantForApiToken(request.server.klaxon.config.config.tenants, request.headers.authorization);
  if (!tenant) return unauthorized(reply);
  request.tenant = tenant;
}

declare module 'fastify' {
  interface FastifyRequest {
    tenant?: string;
  }
}
