import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

export interface FieldIssue {
  path: string;
  message: string;
}

/** `/alerts/0/startsAt` → `alerts.0.startsAt`, the way config errors are written too. */
export function pointerToPath(pointer: string): string {
  return pointer.replace(/^\//, '').split('/').filter(Boolean).join('.') || '(root)';
}

/**
 * One error shape for every route: `{ error, message, issues? }`. Validation errors list every
 * failing field; unexpected errors are logged and answered without internals.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issues: FieldIssue[] = err.validation.map((v) => {
        const extra = (v.params as { issue?: { path?: PropertyKey[] } } | undefined)?.issue?.path;
        const path = extra && extra.length ? extra.map(String).join('.') : pointerToPath(v.instancePath);
        return { path, message: v.message ?? 'invalid' };
      });
      return reply.code(400).send({ error: 'invalid request', message: `${err.validationContext ?? 'request'} failed validation`, issues });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: 'payload too large', message: `body exceeds the limit of ${request.routeOptions.bodyLimit ?? 'the configured'} bytes` });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ error: 'unsupported media type', message: 'send application/json' });
    }
    if ((err.statusCode ?? 500) < 500) {
      return reply.code(err.statusCode!).send({ error: 'bad request', message: err.message });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error', message: 'the request could not be processed; see the server log' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not found', message: `no route ${request.method} ${request.url.split('?')[0]}` }));
}
