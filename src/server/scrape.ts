import { register } from '../metrics';
import { temporalMetricsText } from '../temporal/telemetry';

/** Everything one scrape of this process shows: Klaxon's metrics, then the Temporal SDK's worker metrics. */
export async function metricsText(): Promise<string> {
  const [own, sdk] = await Promise.all([register.metrics(), temporalMetricsText()]);
  return sdk ? `${own.replace(/\n*$/, '\n')}${sdk}` : own;
}

export const METRICS_CONTENT_TYPE = register.contentType;
