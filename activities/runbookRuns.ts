import type { ConfigStore } from '../src/config/store';
import type { RunbookStore } from '../src/store/runbooks';
import type { IncidentStore } from '../src/store/incidents';
import type { RunbookSet } from '../src/runbook/load';
import type { RunbookMode } from '../src/runbook/define';
import type { TimelineEntry } from '../src/incident/view';
import { matchesAll } from '../src/routing/matchers';
import { onCallAt } from '../src/oncall/schedule';
import { runbookDuration, runbookRuns } from '../src/metrics';
import { runbookRunId, type RunbookOutcome } from '../workflows/runbookDefinitions';

export interface RunbookStart {
  runId: string;
  runbook: string;
  mode: RunbookMode;
  onResolve: 'cancel' | 'continue';
  timeoutMs: number;
}

export interface RunbookMatch {
  start: RunbookStart[];
  /** Incidents of the same alert group started in the last hour (this one included): flapping shows. */
  firedInLastHour?: number;
  skipped: Array<{ runbook: string; reason: string }>;
}

export interface MatchArgs {
  tenant: string;
  incidentId: string;
  groupKey: string;
  labels: Record<string, string>;
  /** A person asking for one runbook by name (any mode; matchers still apply unless `force`). */
  only?: { runbook: string; actor: string };
}

/** Settings of the tenant's `runbooks:` block (kill switch, hourly limit of automatic runs). */
function tenantRunbookSettings(config: ConfigStore, tenant: string): { enabled: boolean; maxAutoRunsPerHour: number } {
  const t = config.tenant(tenant) as { runbooks?: { enabled?: boolean; maxAutoRunsPerHour?: number } } | undefined;
  return { enabled: t?.runbooks?.enabled ?? true, maxAutoRunsPerHour: t?.runbooks?.maxAutoRunsPerHour ?? 3 };
}

/**
 * Runbook runs on the activity side: which runbooks an incident starts (matching, kill switch,
 * one run per concurrency key, hourly limit of automatic runs), and the runs' timeline rows.
 */
export function createRunbookRunActivities(deps: { config: ConfigStore; incidents: IncidentStore; runbookStore?: RunbookStore; runbookSet?: RunbookSet }) {
  return {
    /**
     * Who may answer an approval that names its approvers: the users as named, and whoever is on
     * call in the schedules at `at`; unknown names and empty shifts are reported, not thrown.
     */
    async resolveApprovers(args: { tenant: string; users: string[]; schedules: string[]; at: string }): Promise<{ approvers: string[]; unreachable: Array<{ who: string; reason: string }> }> {
      const t = deps.config.tenant(args.tenant);
      if (!t) throw new Error(`unknown tenant ${args.tenant}`);
      const approvers = new Set<string>();
      const unreachable: Array<{ who: string; reason: string }> = [];
      for (const u of args.users) {
        if (t.users[u]) approvers.add(u);
        else unreachable.push({ who: u, reason: 'unknown user' });
      }
      for (const s of args.schedules) {
        const schedule = t.schedules[s];
        const shift = schedule ? onCallAt(schedule, new Date(args.at)) : undefined;
        if (shift) approvers.add(shift.user);
        else unreachable.push({ who: `schedule ${s}`, reason: schedule ? 'nobody is on call' : 'unknown schedule' });
      }
      return { approvers: [...approvers], unreachable };
    },
    /** Decides and claims the runs to start; idempotent (a retry finds its own claims). */
    async matchRunbooks(args: MatchArgs): Promise<RunbookMatch> {
      const out: RunbookMatch = { start: [], skipped: [] };
      const set = deps.runbookSet;
      const store = deps.runbookStore;
      if (!set || !store) {
        if (args.only) out.skipped.push({ runbook: args.only.runbook, reason: 'no runbooks are loaded in this worker' });
        return out;
      }
      const candidates = args.only
        ? [set.byName.get(args.only.runbook)].filter((r) => r !== undefined)
        : [...set.byName.values()].filter((r) => r.runbook.mode !== 'manual' && matchesAll(r.matchers, args.labels));
      if (args.only && !candidates.length) out.skipped.push({ runbook: args.only.runbook, reason: `no runbook named ${args.only.runbook}` });
      const settings = tenantRunbookSettings(deps.config, args.tenant);
      let fired: number | undefined;
      const firedInLastHour = async () => (fired ??= await deps.incidents.startedRecently(args.tenant, args.groupKey, 3_600_000));
      for (const r of candidates) {
        const name = r.runbook.name;
        // Not flapping (yet): not a refusal, nothing to record.
        if (!args.only && r.runbook.minFiredInLastHour && (await firedInLastHour()) < r.runbook.minFiredInLastHour) continue;
        if (!settings.enabled) {
          out.skipped.push({ runbook: name, reason: `runbooks are switched off for tenant ${args.tenant} (runbooks.enabled: false)` });
          continue;
        }
        if (args.only && !matchesAll(r.matchers, args.labels)) {
          out.skipped.push({ runbook: name, reason: `the incident does not match ${name} (${r.runbook.match.join(', ')})` });
          continue;
        }
        const n = args.only ? (await store.runsOf(args.incidentId, args.tenant)).filter((x) => x.runbook === name).length + 1 : 1;
        const runId = runbookRunId(args.incidentId, name, n);
        const concurrencyKey = (r.runbook.concurrencyBy ?? ['service']).map((l) => `${l}=${args.labels[l] ?? ''}`).join(',');
        const mode = args.only ? 'manual' : r.runbook.mode;
        const claim = await store.claim(
          { runId, tenant: args.tenant, incidentId: args.incidentId, runbook: name, mode, concurrencyKey, requestedBy: args.only?.actor ?? 'klaxon' },
          mode === 'auto' ? { perHour: settings.maxAutoRunsPerHour } : undefined,
        );
        if (!claim.ok) out.skipped.push({ runbook: name, reason: claim.reason });
        else out.start.push({ runId, runbook: name, mode, onResolve: r.runbook.onResolve ?? 'cancel', timeoutMs: r.timeoutMs });
      }
      if (out.start.length) out.firedInLastHour = await firedInLastHour();
      return out;
    },

    async recordRunbookEvents(args: { tenant: string; incidentId: string; runId: string; runbook: string; events: Array<TimelineEntry & { seq: number }> }): Promise<void> {
      await deps.runbookStore?.record(args, args.events);
    },

    async endRunbookRun(args: { runId: string; outcome: RunbookOutcome; detail?: string }): Promise<void> {
      const ended = await deps.runbookStore?.end(args.runId, args.outcome, args.detail);
      if (!ended) return;
      runbookRuns.inc({ tenant: ended.tenant, runbook: ended.runbook, outcome: args.outcome });
      runbookDuration.observe({ tenant: ended.tenant, runbook: ended.runbook, outcome: args.outcome }, ended.seconds);
    },
  };
}
