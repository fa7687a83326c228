import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../config/secret';
import type { TenantConfig } from '../config/schema';

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m ? m[1].trim() : undefined;
}

/**
 * Constant-time bearer check. Both sides are hashed first so the comparison takes the same time
 * whatever the lengths, and a wrong guess learns nothing about the token.
 */
export function bearerMatches(header: string | undefined, expected: Secret): boolean {
  const token = bearerToken(header);
  const given = createHash('sha256').update(token ?? '').digest();
  const want = createHash('sha256').update(expected.reveal()).digest();
  return timingSafeEqual(given, want) && token !== undefined;
}

/**
 * Finds the tenant whose (deprecated) API token the request carries (a token of tenant A never
 * reads tenant B). Checks every tenant so timing does not reveal which one matched.
 */
export function tenantForApiToken(tenants: Record<string, TenantConfig>, header: string | undefined): string | undefined {
  let found: string | undefined;
  for (const [name, t] of Object.entries(tenants)) if (bearerMatches(header, t.api.token) && !found) found = name;
  return found;
}
