import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services';
import { withTimeout } from '../../timeout';

function probe(k: Services) {
  return k.temporalProbe ?? k.temporal;
}

/** /healthz: the process is alive. /readyz: Temporal and Postgres answer, so traffic can come. */
export const healthPlugin: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, string> = {};
    await Promise.all([
      // Through the probe connection (no retries): a check that keeps retrying after we answered
      // outlives the request, and the client's close.
      withTimeout(probe(app.klaxon).workflowService.getSystemInfo({}), 2000).then(
        () => (checks.temporal = 'ok'),
        (err: Error) => (checks.temporal = err.message),
      ),
      withTimeout(app.klaxon.db.pool.query('SELECT 1'), 2000).then(
        () => (checks.postgres = 'ok'),
        (err: Error) => (checks.postgres = err.message),
      ),
    ]);
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
};
