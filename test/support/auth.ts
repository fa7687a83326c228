import type { FastifyInstance } from 'fastify';
import { Keyring } from '../../src/auth/keyring';
import { issueToken } from '../../src/auth/tokens';
import { PERMISSIONS, type Permission } from '../../src/auth/permissions';
import type { Klaxon } from '../../src/runtime';

/**
 * A Klaxon token as `klaxon token issue` makes it, signed with the newest key of the running
 * Klaxon's `server.auth.keys` (the test's config must have one).
 */
export async function tokenFor(klaxon: Klaxon, tenant: string, user: string, permissions: readonly Permission[] = PERMISSIONS, extra: { ttlMs?: number; now?: Date } = {}): Promise<string> {
  const auth = klaxon.config.config.server.auth;
  const { token } = await issueToken(Keyring.fromConfig(auth.keys), { issuer: auth.issuer, audience: auth.audience, tenant, user, permissions: [...permissions], ttlMs: extra.ttlMs ?? 3_600_000, now: extra.now });
  return token;
}

export interface ServedRoute {
  method: string;
  url: string;
}

/**
 * Every route the app serves, read from fastify's own router (`printRoutes`), so a test over "all
 * routes" covers a route added tomorrow without being told. HEAD routes fastify adds for GET are left out.
 */
export function servedRoutes(app: FastifyInstance): ServedRoute[] {
  const out: ServedRoute[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    // "│   └── /:id (GET, HEAD)": 4 characters of tree per level, then the segment, then its methods.
    const m = /^([│ ]*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    stack.push(m[2]);
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) if (method !== 'HEAD') out.push({ method, url: stack.join('') });
  }
  return out;
}
