import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticate';
import { grants, isPermission, PERMISSIONS, type Permission } from '../auth/permissions';
import { AuthError, type Principal } from '../auth/tokens';

export { bearerMatches } from '../auth/bearer';

export function unauthorized(reply: FastifyReply, message = 'missing or invalid bearer token') {
  return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message });
}

/**
 * The one place API routes are guarded. Every route under /api/ declares the permission it needs in
 * its options (`{ config: { permission: 'write' } }`); a route that does not is refused when it is
 * registered, so the server does not start with an unguarded route. The check runs on request,
 * before the body is read: identify the caller (401), check the permission (403), then the route
 * runs with `request.principal` (whose subject is the actor) and `request.tenant`.
 */
export function installApiAuth(app: FastifyInstance, authn: Authenticator): void {
  const check = async (request: FastifyRequest, reply: FastifyReply) => {
    const needed = request.routeOptions.config.permission!;
    let principal: Principal;
    try {
      principal = await authn.authenticate(request.headers.authorization);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      if (err.status === 401) return unauthorized(reply, err.message);
      if (err.status === 503) return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: err.message });
      return reply.code(403).send({ error: 'forbidden', message: err.message });
    }
    if (!grants(principal.permissions, needed)) {
      const route = `${request.method} ${request.routeOptions.url}`;
      return reply.code(403).send({ error: 'forbidden', message: `missing permission "${needed}": ${route} needs it; this token has ${principal.permissions.length ? principal.permissions.join(', ') : 'none'}`, missing: needed });
    }
    request.principal = principal;
    request.tenant = principal.tenant;
  };

  app.addHook('onRoute', (route) => {
    const permission = (route.config as { permission?: unknown } | undefined)?.permission;
    const where = `${[route.method].flat().join(',')} ${route.url}`;
    if (permission === undefined) {
      if (route.url.startsWith('/api/')) throw new Error(`${where}: every /api route declares the permission it needs (config.permission: ${PERMISSIONS.join(' | ')})`);
      return;
    }
    if (!isPermission(permission)) throw new Error(`${where}: config.permission "${String(permission)}" is not one of ${PERMISSIONS.join(', ')}`);
    const hooks = route.onRequest === undefined ? [] : [route.onRequest].flat();
    if (!hooks.includes(check)) route.onRequest = [check, ...hooks];
  });
}

/** The authenticated caller's name: the actor every API action records (never a field of the body). */
export function actorOf(request: FastifyRequest): string {
  return request.principal!.subject;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What an /api route needs (src/auth/permissions.ts); read by installApiAuth. */
    permission?: Permission;
  }
  interface FastifyRequest {
    tenant?: string;
    principal?: Principal;
  }
}
