import { api } from '../api';
import type { IncidentRow } from '../../store/incidents';
import type { IncidentView } from '../../incident/view';
import { flag } from '../args';

/** `klaxon incidents [--status S] [--json]`: the tenant's incidents, newest first. */
export async function incidents(args: string[]): Promise<number> {
  const status = flag(args, '--status');
  const q = status ? `?status=${encodeURIComponent(status)}` : '';
  const { incidents } = await api<{ incidents: IncidentRow[] }>('GET', `/api/v1/incidents${q}`);
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify(incidents) + '\n');
    return 0;
  }
  if (incidents.length === 0) process.stdout.write('no incidents\n');
  for (const i of incidents) {
    process.stdout.write(`${i.id}  ${i.status.padEnd(12)} ${i.severity.padEnd(8)} ${i.startedAt}  ${i.title}\n`);
  }
  return 0;
}

/** `klaxon ack <id>` / `klaxon resolve <id>` [--note TEXT]; the actor is KLAXON_TOKEN's user. */
export async function act(action: 'ack' | 'resolve', args: string[]): Promise<number> {
  const id = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--note');
  if (!id) {
    process.stderr.write(`usage: klaxon ${action} <incident-id> [--note TEXT]\n`);
    return 2;
  }
  const { state } = await api<{ state: IncidentView }>('POST', `/api/v1/incidents/${encodeURIComponent(id)}/${action}`, { note: flag(args, '--note') });
  process.stdout.write(`${state.id}: ${state.status}${state.acknowledgedBy ? ` (by ${state.acknowledgedBy})` : ''}\n`);
  return 0;
}
