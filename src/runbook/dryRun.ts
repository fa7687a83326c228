import type { LoadedRunbook } from './load';
import type { RunbookContext, RunbookIncident } from './define';
import { resolveParams } from './params';

export interface DryRunStep {
  step: string;
  args: Record<string, unknown>;
}

export interface DryRun {
  runbook: string;
  mode: string;
  params?: Record<string, unknown>;
  /** The steps the run would take if every call succeeded, every wait held and every approval came. */
  steps: DryRunStep[];
  result?: string;
  error?: string;
}

/** A body that keeps asking (a loop on a condition that never changes here) is cut off. */
const MAX_STEPS = 100;

/**
 * `--dry-run`: the run's plan, with no side effect. The body runs against a step library that
 * records each call and answers as if all went well (HTTP 200, conditions met, approvals given),
 * so the plan shows the happy path with the parameters resolved from the incident.
 */
export async function dryRun(loaded: LoadedRunbook, incident: RunbookIncident, given: Record<string, string>): Promise<DryRun> {
  const { runbook } = loaded;
  const out: DryRun = { runbook: runbook.name, mode: runbook.mode, steps: [] };
  const params = resolveParams(runbook.params, given, incident);
  if (!params.ok) return { ...out, error: params.error };
  out.params = params.value;
  const record = (step: string, args: Record<string, unknown>) => {
    if (out.steps.length >= MAX_STEPS) throw new Error(`more than ${MAX_STEPS} steps: a loop that waits for something a dry run cannot change?`);
    out.steps.push({ step, args });
  };
  const ctx: RunbookContext = {
    incident,
    runId: `runbook/${incident.id}/${runbook.name}/dry-run`,
    http: async (url, o = {}) => (record('http', { method: o.method ?? 'GET', url, ...(o.body !== undefined ? { body: o.body } : {}) }), { status: 200, body: '' }),
    waitFor: async (o) => (record('waitFor', { ...o }), true),
    approve: async (o) => (record('approve', { ...o }), true),
    silence: async (o) => (record('silence', { ...o }), 'dry-run'),
    expireSilence: async (silenceId) => record('expireSilence', { silenceId }),
    annotate: async (text, details) => record('annotate', { text, ...(details ? { details } : {}) }),
    notify: async (text) => record('notify', { text }),
    sleep: async (duration) => record('sleep', { duration }),
    escalate: async (reason) => record('escalate', { reason }),
    exec: async (command, args = []) => (record('exec', { command, args }), { code: 0, stdout: '', stderr: '' }),
    // A new run takes the new branch.
    patched: () => true,
    deprecatePatch: () => undefined,
  };
  try {
    if (runbook.mode === 'suggest') record('approve', { reason: `${runbook.description} (suggested for this incident)`, ...runbook.approval });
    const result = await runbook.run(ctx, params.value);
    if (typeof result === 'string') out.result = result;
  } catch (err) {
    out.error = (err as Error).message;
  }
  return out;
}
