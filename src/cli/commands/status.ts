import { apiAnswer, apiBase } from '../api';
import type { StackStatus } from '../../server/stackStatus';
import type { tenantReceiverHealth } from '../../notifiers/receiverHealth';

type ReceiverRow = ReturnType<typeof tenantReceiverHealth>[number];

/**
 * `klaxon status [--json]`: the running stack through the HTTP API — Temporal, the audit store,
 * workers polling the task queue, the tenant's open incidents, its receivers' circuit breakers.
 * Exit 0 when all is up, 1 when something is down (Klaxon unreachable, a check failing, a receiver
 * whose circuit is open), so scripts and deploy checks can use it.
 */
export async function status(args: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  let stack: { status: number; json: StackStatus & { message?: string } };
  let receivers: ReceiverRow[] = [];
  try {
    stack = await apiAnswer<StackStatus & { message?: string }>('GET', '/api/v1/status');
    if (stack.status !== 200 && stack.status !== 503) throw new Error(`${stack.status}: ${stack.json.message ?? 'unexpected answer'}`);
    const r = await apiAnswer<{ receivers: ReceiverRow[] }>('GET', '/api/v1/receivers/health');
    receivers = r.ok ? r.json.receivers : [];
  } catch (err) {
    // fetch hides the reason (refused, no such host …) in its cause.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    out(`klaxon at ${apiBase()}: ${cause ? `not reachable (${cause.code ?? cause.message})` : (err as Error).message}\n`);
    return 1;
  }
  const s = stack.json;
  const open = receivers.filter((r) => r.state === 'open');
  const down = s.status !== 'ok' || open.length > 0;
  if (args.includes('--json')) {
    out(JSON.stringify({ ...s, receivers, status: down ? 'down' : 'ok' }) + '\n');
    return down ? 1 : 0;
  }
  const mark = (c: { ok: boolean; error?: string }) => (c.ok ? 'ok' : `DOWN  ${c.error ?? ''}`.trimEnd());
  const lines = [
    `klaxon    ${apiBase()}`,
    `temporal  ${mark(s.temporal)}  (namespace ${s.temporal.namespace})`,
    `store     ${mark(s.store)}`,
    `workers   ${mark(s.workers)}  (${s.workers.workflowPollers.length} workflow, ${s.workers.activityPollers.length} activity pollers on "${s.workers.taskQueue}")`,
    `incidents ${incidentLine(s.incidents)}`,
    `receivers ${receivers.length === 0 ? 'none' : receivers.map(receiverLine).join('\n          ')}`,
    `status    ${down ? 'DOWN' : 'ok'}`,
  ];
  out(lines.join('\n') + '\n');
  return down ? 1 : 0;
}

function incidentLine(rows: StackStatus['incidents']): string {
  if (rows.length === 0) return 'none open';
  const byStatus = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const m = byStatus.get(r.status) ?? new Map<string, number>();
    m.set(r.severity, (m.get(r.severity) ?? 0) + r.count);
    byStatus.set(r.status, m);
  }
  return [...byStatus]
    .map(([st, sev]) => `${[...sev.values()].reduce((a, b) => a + b, 0)} ${st} (${[...sev].map(([k, n]) => `${n} ${k}`).join(', ')})`)
    .join(', ');
}

function receiverLine(r: ReceiverRow): string {
  const state = r.state === 'closed' ? 'ok' : r.state === 'open' ? `OPEN since ${r.openedAt ?? '?'}` : 'half-open (trying)';
  return `${r.receiver} (${r.type}) ${state}${r.failures ? `, ${r.failures} failure(s)${r.lastError ? `: ${r.lastError}` : ''}` : ''}`;
}
