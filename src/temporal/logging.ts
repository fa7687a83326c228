import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from '../logger';
import { forwardTemporalMetrics, temporalTelemetry } from './telemetry';

/** Temporal's SDK and core logs, written through Klaxon's logger so there is one log format. */
export function temporalLogger(log: Logger): TemporalLogger {
  const child = log.child({ component: 'temporal' });
  const at = (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') => (message: string, meta?: LogMetadata) => child[level](meta ?? {}, message);
  return {
    log: (level: LogLevel, message: string, meta?: LogMetadata) => at(level.toLowerCase() as 'info')(message, meta),
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}

/**
 * Installs the Temporal runtime with Klaxon's logger and, with `metricsAddress`, the SDK's worker
 * metrics (src/temporal/telemetry.ts); once per process (later calls keep the first).
 */
export function installTemporalRuntime(log: Logger, metricsAddress?: string): void {
  try {
    Runtime.install({ logger: temporalLogger(log), ...(metricsAddress ? { telemetryOptions: temporalTelemetry(metricsAddress) } : {}) });
    if (metricsAddress) forwardTemporalMetrics(metricsAddress);
  } catch {
    // Already installed (tests install their own quieter one first): keep it, and its telemetry.
  }
}
