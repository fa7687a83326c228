import type { TelemetryOptions } from '@temporalio/worker';

let sdkMetricsUrl: string | undefined;

/**
 * Runtime telemetry that serves the Temporal SDK's worker metrics (task slots, poll and schedule-to-
 * start latencies, sticky cache, activity/workflow task failures …) in Prometheus format on
 * `bindAddress`. Klaxon's own /metrics appends them (temporalMetricsText), so one scrape target
 * covers both; binding a reachable address also lets Prometheus scrape them directly.
 */
export function temporalTelemetry(bindAddress: string): TelemetryOptions {
  return {
    metrics: {
      prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
      metricPrefix: 'temporal_',
    },
  };
}

/** The SDK's metrics text, or nothing when this process runs no worker (or they do not answer in time). */
export async function temporalMetricsText(timeoutMs = 1000): Promise<string> {
  if (!sdkMetricsUrl) return '';
  try {
    const res = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.text() : '';
  } catch {
    // A scrape must not fail because the SDK's exporter is slow; Klaxon's own metrics still answer.
    return '';
  }
}

/** Call once the runtime is installed with temporalTelemetry(bindAddress): /metrics then appends them. */
export function forwardTemporalMetrics(bindAddress: string): void {
  const host = bindAddress.replace(/^0\.0\.0\.0:|^\[::\]:/, '127.0.0.1:');
  sdkMetricsUrl = `http://${host}/metrics`;
}
