import { api } from '../api';
import { flag } from '../args';
import type { DryRun } from '../../runbook/dryRun';
import type { RunbookRunRow, RunbookStats } from '../../store/runbooks';

const USAGE = `usage: klaxon runbook <command>
  list [--incident ID]                              loaded runbooks, or what matches an incident and its runs
  run <incident> <runbook> [--param k=v]... [--dry-run]   start one now (or print its plan, no side effect)
  approve|deny <incident> <runbook> [n] [--note T]  answer a pending approval (run n, default 1)
  cancel <incident> <runbook> [n]                   stop a run
  stats [--days N]                                  outcomes, success rate, time to resolve with and without (default 30 days)
`;

/** Positional arguments: everything that is not a flag or a flag's value. */
function positional(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--dry-run') continue;
    if (args[i].startsWith('--')) i++;
    else out.push(args[i]);
  }
  return out;
}

/** `klaxon runbook …`: runbooks through the REST API (KLAXON_URL, KLAXON_TOKEN). */
export async function runbook(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const [incident, name, n = '1'] = positional(rest);
  const base = incident && `/api/v1/incidents/${encodeURIComponent(incident)}/runbooks`;
  const write = (s: string) => process.stdout.write(`${s}\n`);
  switch (command) {
    case 'list': {
      const id = flag(rest, '--incident');
      if (!id) {
        const { runbooks, errors } = await api<{ runbooks: Array<{ name: string; mode: string; match: string[]; description: string }>; errors: string[] }>('GET', '/api/v1/runbooks');
        for (const b of runbooks) write(`${b.name.padEnd(20)} ${b.mode.padEnd(8)} ${b.match.join(', ')}  ${b.description}`);
        for (const e of errors) write(`left out: ${e}`);
        return 0;
      }
      const { matching, runs } = await api<{ matching: Array<{ name: string; mode: string }>; runs: RunbookRunRow[] }>('GET', `/api/v1/incidents/${encodeURIComponent(id)}/runbooks`);
      write(`matching: ${matching.map((m) => `${m.name} (${m.mode})`).join(', ') || 'none'}`);
      for (const r of runs) write(`${r.runId}  ${r.outcome ?? 'running'}  by ${r.requestedBy}  ${r.startedAt}${r.detail ? `  ${r.detail}` : ''}`);
      return 0;
    }
    case 'stats': {
      const days = flag(rest, '--days') ?? '30';
      const { runbooks } = await api<{ runbooks: RunbookStats[] }>('GET', `/api/v1/runbooks/stats?days=${encodeURIComponent(days)}`);
      if (!runbooks.length) write(`no runbook runs in the last ${days} days`);
      const m = (s: number | null) => (s === null ? '-' : `${Math.round(s / 60)}m`);
      for (const b of runbooks) {
        const outcomes = Object.entries(b.outcomes).map(([k, n]) => `${k} ${n}`).join(', ');
        write(`${b.runbook.padEnd(20)} ${String(b.runs).padStart(4)} runs  success ${b.successRate === null ? '-' : `${Math.round(b.successRate * 100)}%`}  time to resolve ${m(b.medianResolveSeconds.withRun)} with, ${m(b.medianResolveSeconds.withoutRun)} without  (${outcomes})`);
      }
      return 0;
    }
    case 'run': {
      if (!incident || !name) break;
      const params = Object.fromEntries(
        rest.flatMap((a, i) => (rest[i - 1] === '--param' ? [a] : [])).map((kv) => {
          const at = kv.indexOf('=');
          if (at < 1) throw new Error(`--param ${kv}: expected name=value`);
          return [kv.slice(0, at), kv.slice(at + 1)];
        }),
      );
      if (rest.includes('--dry-run')) {
        const plan = await api<DryRun>('POST', `${base}/${encodeURIComponent(name)}/dry-run`, { params });
        write(`${plan.runbook} (${plan.mode}) params ${JSON.stringify(plan.params ?? {})}`);
        plan.steps.forEach((s, i) => write(`  ${i + 1}. ${s.step} ${JSON.stringify(s.args)}`));
        if (plan.result) write(`  → ${plan.result}`);
        if (plan.error) write(`  ✗ ${plan.error}`);
        return plan.error ? 1 : 0;
      }
      const { runId } = await api<{ runId: string }>('POST', `${base}/${encodeURIComponent(name)}/run`, { params });
      write(`started ${runId}`);
      return 0;
    }
    case 'approve':
    case 'deny':
    case 'cancel': {
      if (!incident || !name) break;
      await api('POST', `${base}/${encodeURIComponent(name)}/${encodeURIComponent(n)}/${command}`, { ...(flag(rest, '--note') ? { note: flag(rest, '--note') } : {}) });
      write(`${command === 'cancel' ? 'cancel requested for' : `${command}d`} runbook/${incident}/${name}/${n}`);
      return 0;
    }
  }
  process.stderr.write(USAGE);
  return 2;
}
