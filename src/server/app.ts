import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from '../logger';
import { installErrorHandler } from './errors';
import { installNulGuard } from './nulGuard';
import type { Services } from './services';
import { healthPlugin } from './plugins/health';
import { metricsPlugin } from './plugins/metrics';
import { webhookPlugin } from './plugins/webhook';
import { incidentsPlugin } from './plugins/incidents';
import { linksPlugin } from './plugins/links';
import { incidentPagePlugin } from './plugins/incidentPage';
import { runbooksPlugin } from './plugins/runbooks';
import { slackPlugin } from './plugins/slack';
import { twilioPlugin } from './plugins/twilio';
import { pushoverPlugin } from './plugins/pushover';
import { receiversPlugin } from './plugins/receivers';
import { statusPlugin } from './plugins/status';
import { feedbackPlugin } from './plugins/feedback';
import { modelsPlugin } from './plugins/models';
import { jwksPlugin } from './plugins/jwks';
import { Authenticator } from '../auth/authenticate';
import { RevocationList } from '../auth/revocations';
import { tokensPlugin } from './plugins/tokens';
import { installApiAuth } from './auth';
import { codecPlugin } from './plugins/codec';
import { heartbeatPlugin } from './plugins/heartbeat';
import { registerOpenApi } from './openapi';

/** The HTTP side: one plugin per route group, sharing the services through the `klaxon` decorator. */
export async function buildApp(services: Services, log: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request lines would drown the log at Alertmanager's rates; metrics cover requests.
    logController: new LogController({ disableRequestLogging: true }),
    // Shutdown: stop accepting, finish what is in flight.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // One-click link tokens (signed claims) are longer than fastify's default 100-character parameter.
    routerOptions: { maxParamLength: 1000 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('klaxon', services);
  installErrorHandler(app);
  installNulGuard(app);
  // Before any plugin, so its onRoute check sees (and guards) every route.
  const revocations = new RevocationList(services.db.pool, log.child({ component: 'auth' }));
  await revocations.start();
  app.addHook('onClose', async () => revocations.stop());
  const authn = new Authenticator(services.config, log.child({ component: 'auth' }), revocations);
  authn.keyring();
  installApiAuth(app, authn);
  await registerOpenApi(app);
  await app.register(healthPlugin);
  await app.register(metricsPlugin);
  await app.register(webhookPlugin, { bodyLimit: services.config.config.server.bodyLimitBytes });
  await app.register(heartbeatPlugin);
  await app.register(incidentsPlugin);
  await app.register(linksPlugin);
  await app.register(incidentPagePlugin);
  await app.register(runbooksPlugin);
  await app.register(slackPlugin);
  await app.register(twilioPlugin);
  await app.register(pushoverPlugin);
  await app.register(receiversPlugin);
  await app.register(statusPlugin);
  await app.register(feedbackPlugin);
  await app.register(modelsPlugin);
  await app.register(jwksPlugin, { authn });
  await app.register(tokensPlugin, { authn, revocations });
  if (services.codec) await app.register(codecPlugin, { settings: services.codec });
  return app;
}
