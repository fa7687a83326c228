import type { FastifyInstance, FastifySchema } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { PERMISSIONS, type Permission } from '../auth/permissions';

const VERSION = (require('../../package.json') as { version: string }).version;

/** Routes that check the tenant's webhook token rather than a user's API token. */
const WEBHOOK_ROUTE = /^\/webhook\//;

/**
 * OpenAPI from the routes' zod schemas (@fastify/swagger with the zod type provider's transform),
 * at /docs/json and as a browsable page at /docs. Each /api route's declared permission becomes
 * its bearer security requirement and a line of its description, so the spec says what
 * src/server/auth.ts enforces. Register before the route plugins: swagger records routes as they come.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Klaxon API',
        version: VERSION,
        description: 'Alertmanager webhooks in, durable escalations out. /api/v1 routes need a bearer token (`klaxon token issue`) with the permission each route names.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: `A Klaxon token (or an OIDC token) naming a tenant, a user and permissions: ${PERMISSIONS.join(', ')}.` },
          webhookToken: { type: 'http', scheme: 'bearer', description: "The tenant's webhook token (tenants.<t>.webhook.token), as Alertmanager's http_config.authorization sends it." },
        },
      },
    },
    transform: (args) => {
      const { schema, url } = jsonSchemaTransform(args);
      const permission = (args.route.config as { permission?: Permission } | undefined)?.permission;
      if (permission) return { url, schema: withAuth(schema, 'bearerAuth', `Needs permission \`${permission}\`.`) };
      if (WEBHOOK_ROUTE.test(url)) return { url, schema: withAuth(schema, 'webhookToken') };
      return { url, schema };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

function withAuth(schema: FastifySchema, scheme: string, note?: string): FastifySchema {
  const s = (schema ?? {}) as FastifySchema & { security?: unknown; description?: string };
  return { ...s, security: [{ [scheme]: [] }], ...(note ? { description: s.description ? `${s.description}\n\n${note}` : note } : {}) } as FastifySchema;
}
