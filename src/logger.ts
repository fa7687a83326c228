import pino from 'pino';

export type Logger = pino.Logger;

/**
 * One logger for the process. Anything that looks like a credential is censored by key, as a second
 * line of defence behind the Secret type (which already prints as [redacted]).
 */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'klaxon',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: ['*.token', '*.password', '*.secret', '*.authorization', 'req.headers.authorization', 'headers.authorization', '*.apiKey', '*.routingKey'],
      censor: '[redacted]',
    },
  });
}
