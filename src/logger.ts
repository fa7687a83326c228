import pino from 'pino';
import pretty from 'pino-pretty';

export type Logger = pino.Logger;
export type LogFormat = 'json' | 'pretty';

/**
 * JSON for machines (a pipe, a file, a log shipper), one readable line per event for a person at
 * a terminal. LOG_FORMAT=json|pretty overrides the guess.
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, stdout: { isTTY?: boolean } = process.stdout): LogFormat {
  if (env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty') return env.LOG_FORMAT;
  return stdout.isTTY ? 'pretty' : 'json';
}

/**
 * One logger for the process. Anything that looks like a credential is censored by key, as a second
 * line of defence behind the Secret type (which already prints as [redacted]); the pretty format
 * prints the same redacted record.
 */
export function createLogger(opts: { level?: string; name?: string; format?: LogFormat; destination?: NodeJS.WritableStream } = {}): Logger {
  const options: pino.LoggerOptions = {
    name: opts.name ?? 'klaxon',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: ['*.token', '*.password', '*.secret', '*.authorization', 'req.headers.authorization', 'headers.authorization', '*.apiKey', '*.routingKey'],
      censor: '[redacted]',
    },
  };
  const format = opts.format ?? logFormat();
  if (format === 'pretty') {
    // Synchronous, in this thread: a worker-thread transport could lose the last lines of a crash.
    return pino(options, pretty({ sync: true, colorize: opts.destination ? false : undefined, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name', singleLine: true, destination: opts.destination ?? 1 }));
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
