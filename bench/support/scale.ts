/**
 * What the sections of one `npm run bench` run leave for the scale summary (issue #11): the
 * summary compares numbers measured side by side in the same run, never across runs.
 */
export interface ScaleResults {
  ingestPerSec: number;
  ceilingPerSec: number;
  /** Incidents notified per second in the burst (a), and minimal page workflows per second (h). */
  burstNotifiedPerSec: number;
  pageWorkflowPerSec: number;
  /** CPU per minimal page (h), start to its page's arrival: the Temporal server's, the bench process's. */
  pageTemporalCpuMs: number;
  pageProcessCpuMs: number;
  /** CPU of the Klaxon process per incident in (a), webhook to notified row. */
  klaxonCpuPerIncidentMs: number;
  /** Klaxon's exact start call into a do-nothing incident workflow (b2); absent when its phase was disturbed. */
  ownCallPerSec: number;
  temporalCpuPerIncidentMs: number;
  temporalCpuPerStartMs: number;
  burstN: number;
  burstFirstPageP99Ms: number;
  steadyRate: number;
  steadyFirstPageP99Ms: number;
  steadyFirstPageP95Ms: number;
  resendPerSec: number;
  resendUnchanged: number;
  resendTotal: number;
  /** What made the re-send calls (wrk or a Node child process). */
  resendClient: string;
  resendTemporalCpuMs: number;
  /** CPU of the Klaxon process per re-send (the client runs in another process). */
  resendKlaxonCpuMs: number;
  parkedN: number;
  parkedRssMb: number;
  parkedRssAt1000Mb: number;
  parkedRssPeakMb: number;
  cachedWorkflows: number;
  latenessP99Ms: number;
}

export const scaleResults: Partial<ScaleResults> = {};
