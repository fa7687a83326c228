/** The chaos run as Markdown: what was done to it, and every check's count. */
import { machineDescription } from '../support/machine';
import { ms, percentile } from '../support/stats';
import type { FaultKind, InjectedFault } from './faults';
import type { GroupRecord } from './load';
import type { Role } from './cluster';
import { CHECKS, type Verdict } from './verify';
import type { TreeResult } from './wholeTree';

export interface RunFacts {
  mode: 'full' | 'short';
  startedAt: Date;
  elapsedMs: number;
  groupsPerSecond: number;
  groups: GroupRecord[];
  faults: InjectedFault[];
  unexpectedExits: Record<Role, number>;
  arrivals: number;
  verdict: Verdict;
  tree?: TreeResult;
}

export function violations(f: RunFacts): number {
  return Object.values(f.verdict.counts).reduce((a, b) => a + b, 0) + (f.tree && !f.tree.ok ? 1 : 0);
}

export function chaosMarkdown(f: RunFacts): string {
  const kinds: FaultKind[] = ['kill -9 worker', 'kill -9 http', 'kill -9 temporal', 'stop worker'];
  const faults = kinds.map((k) => {
    const of = f.faults.filter((x) => x.kind === k);
    const down = of.map((x) => x.end - x.start);
    return `${k === 'stop worker' ? 'stop worker (SIGSTOP, then SIGCONT)' : k} ×${of.length}${of.length ? ` (back after ${ms(Math.min(...down))}–${ms(Math.max(...down))})` : ''}`;
  });
  const accepted = f.groups.filter((g) => g.opened);
  const acks = f.groups.filter((g) => g.ack);
  const ackBy = (a: string) => acks.filter((g) => g.ack!.answer === a).length;
  const lost = f.groups.flatMap((g) => g.lost);
  const exits = Object.entries(f.unexpectedExits).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}×`);
  const lat = (xs: number[]) => `${ms(percentile(xs, 50))} / ${ms(percentile(xs, 99))} (n = ${xs.length}, max ${ms(Math.max(...xs))})`;
  const rows: Array<[string, string]> = [
    ['faults injected', faults.join(', ')],
    ...CHECKS.map((c): [string, string] => [c, `**${f.verdict.counts[c]}**`]),
    ['first-page latency p50 / p99, without faults', lat(f.verdict.latency.quiet)],
    ['first-page latency p50 / p99, with faults', lat(f.verdict.latency.faulty)],
  ];
  if (f.tree) rows.push(['kill -9 of the whole `klaxon start` tree, restart on the same data dir', f.tree.summary]);
  const lines = [
    '## Chaos: paging under faults',
    '',
    `${f.mode === 'full' ? 'Full run' : 'Short run (`--short`, what CI runs)'} of \`npm run chaos\` on ${f.startedAt.toISOString()}, ${(f.elapsedMs / 60000).toFixed(1)} min. Machine: ${machineDescription()}.`,
    '',
    `Topology: an external \`temporal server start-dev\` (SQLite file), \`klaxon start --role http\` and \`klaxon start --role worker\` as separate processes, the audit store on Postgres, ` +
      `a receiver double (webhook receiver, its own process) that records every arrival. Load: ${f.groupsPerSecond} new Alertmanager groups/s for ${accepted.length} groups ` +
      `(every one fires, is re-sent unchanged, ${f.groups.filter((g) => g.changes.length).length} change, ${acks.length} are acked through the API after their page, all resolve after their page); ` +
      `policy: page the receiver, wait 20 s, page again. ${f.arrivals} arrivals at the receiver.`,
    '',
    '| measure | result |',
    '| --- | --- |',
    ...rows.map(([a, b]) => `| ${a} | ${b} |`),
    '',
    `Acks: ${ackBy('ok')} answered 200, ${ackBy('already-acknowledged')} "already acknowledged" (an earlier unanswered try went through), ${ackBy('resolved')} refused as resolved, ${ackBy('gave-up')} never answered; ` +
      `${acks.reduce((a, g) => a + g.ack!.unavailable, 0)} answers were 503 (worker or Temporal unreachable, retried after Retry-After). ` +
      `Webhook posts that never got a 2xx: ${lost.length}${lost.length ? ` (${[...new Set(lost)].slice(0, 3).join('; ')})` : ''}. ` +
      `Klaxon or Temporal processes that exited on their own (restarted): ${exits.length ? exits.join(', ') : 'none'}.`,
    '',
    'Definitions: see `bench/chaos/verify.ts` (each check is defined above its code). "With faults" is a first page whose firing post was accepted from 5 s before a fault to 30 s after the process it hit was ready again; ' +
      'latency runs from sending the accepted firing post to the page arriving at the receiver.',
  ];
  return lines.join('\n');
}

/** The findings by check, then by shape (the same text but for its numbers), with one example each, for the console. */
export function findingsText(v: Verdict): string {
  const out: string[] = [];
  for (const c of CHECKS) {
    const of = v.findings.filter((f) => f.check === c);
    if (!of.length) continue;
    out.push(`${c}: ${v.counts[c]}`);
    const shapes = new Map<string, typeof of>();
    for (const f of of) {
      const shape = f.what.replace(/[0-9a-f]{10}-[0-9a-f]{10}/g, '…').replace(/\d+(\.\d+)?/g, 'N');
      shapes.set(shape, [...(shapes.get(shape) ?? []), f]);
    }
    for (const [shape, fs] of [...shapes].sort((a, b) => b[1].length - a[1].length)) {
      out.push(`  ${fs.length}× ${shape}`);
      out.push(`     e.g. group ${fs[0].group ?? '-'}, incident ${fs[0].incidentId ?? '-'}: ${fs[0].what}`);
    }
  }
  return out.join('\n');
}
