/**
 * The activities behind a runbook's steps: what the workflow side (src/runbook/steps.ts, workflow
 * code) sends and gets back. Plain data only, so the types cross into the workflow bundle.
 */

/** Which tenant and incident a step acts for: the tenant's runbook settings (allow-lists, URLs) apply. */
export interface StepScope {
  tenant: string;
  incidentId: string;
  /** `runbook/<incident>/<name>/<n>`, for logs and the `createdBy` of silences. */
  runId: string;
}

export interface HttpStepArgs extends StepScope {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  /** JSON-encoded when not a string. */
  body?: unknown;
  /** Per try; default 10 s, at most 60 s. */
  timeoutMs?: number;
  /** Statuses that count as success; default any 2xx. */
  expectStatus?: number[];
}

export interface HttpStepResult {
  status: number;
  /** At most 64 KiB of the body, as text. */
  body: string;
  /** The body parsed, when it is JSON. */
  json?: unknown;
}

/** One instant PromQL query (GET /api/v1/query). */
export interface PromQueryArgs extends StepScope {
  query: string;
  /** Default: the tenant's `runbooks.prometheusUrl`. */
  prometheusUrl?: string;
}

export interface PromQueryResult {
  /** Instant vector samples (a scalar result is one sample with no labels). */
  samples: Array<{
    labels: Record<string, string>;
    value: number;
    /**
     * Prometheus' text of a value that is not a finite number (`NaN`, `+Inf`, `-Inf`), set only
     * then: `value` cannot carry those through Temporal's JSON payloads and arrives as null.
     */
    text?: string;
  }>;
}

export interface SilenceArgs extends StepScope {
  /** Alertmanager matchers as text (`alertname="X"`, `instance=~"a.*"`), all must match. */
  matchers: string[];
  durationMs: number;
  comment: string;
  /** Default: the tenant's `runbooks.alertmanagerUrl`. */
  alertmanagerUrl?: string;
}

export interface SilenceResult {
  silenceId: string;
  endsAt: string;
}

export interface ExpireSilenceArgs extends StepScope {
  silenceId: string;
  alertmanagerUrl?: string;
}

export interface ExecArgs extends StepScope {
  /** Must be listed in the tenant's `runbooks.exec.allow` (exact path); no shell. */
  command: string;
  args?: string[];
  /** Default 30 s, at most 60 s; past it the command (and what it started) is killed. */
  timeoutMs?: number;
}

export interface ExecResult {
  code: number;
  /** At most 16 KiB each. */
  stdout: string;
  stderr: string;
}

/** The activities' names and signatures, as the workflow side proxies them. */
export interface RunbookStepActivities {
  runbookHttp(args: HttpStepArgs): Promise<HttpStepResult>;
  runbookPromQuery(args: PromQueryArgs): Promise<PromQueryResult>;
  runbookCreateSilence(args: SilenceArgs): Promise<SilenceResult>;
  runbookExpireSilence(args: ExpireSilenceArgs): Promise<void>;
  runbookExec(args: ExecArgs): Promise<ExecResult>;
}
