/**
 * `klaxon model retrain|list|report <tenant>`: the tenant's anomaly models over the REST API
 * (KLAXON_URL, KLAXON_TOKEN = the tenant's API token).
 *
 *   retrain <tenant> [--json]          retrain now; a progress bar follows the workflow until it ends
 *   list <tenant> [--json]             versions, status and holdout metrics, newest first
 *   report <tenant> [--days N] [--json] what enforce would have changed (raised, lowered, held; later acked)
 */
import { api } from '../api';
import { flag } from '../args';
import type { ModelVersionRow } from '../../store/models';
import type { ShadowReport } from '../../anomaly/report';
import type { RetrainProgress, RetrainResult } from '../../../workflows/retrain';
import type { TrainingHeartbeat } from '../../../activities/training';

export const MODEL_USAGE = `usage: klaxon model <command>

  eval --data <csv> --label <column> --model iforest|autoencoder|ensemble [--seed N] [--json]
  retrain <tenant> [--json]            retrain the tenant's model now, with a progress bar
  list <tenant> [--json]               model versions and their metrics
  report <tenant> [--days N] [--json]  what enforce would have changed over the last N days (default 7)
`;

export interface RetrainStatus {
  workflowId: string;
  status: string;
  progress?: RetrainProgress;
  activity?: { type?: string; attempt?: number; heartbeat?: TrainingHeartbeat };
  result?: RetrainResult;
  error?: string;
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  tty: boolean;
  sleep: (ms: number) => Promise<void>;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  tty: !!process.stderr.isTTY,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

function tenantArg(args: string[], command: string, io: Io): string | undefined {
  const tenant = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1] === '--days'));
  if (!tenant) io.err(`usage: klaxon model ${command} <tenant>\n`);
  return tenant;
}

/** Overall fraction done (0..1) and the line to show, from the workflow's progress and the running activity's heartbeat. */
export function describeProgress(s: RetrainStatus): { fraction: number; text: string } {
  const p = s.progress;
  if (!p) return { fraction: 0, text: s.status === 'RUNNING' ? 'starting' : s.status.toLowerCase() };
  let within = 0;
  let text = p.message;
  const hb = s.activity?.heartbeat;
  // The first heartbeat of a step (done 0) says less than the workflow's own message.
  if (hb && hb.step === p.step && hb.total > 0 && hb.done > 0) {
    within = Math.min(1, hb.done / hb.total);
    text = `${p.version !== undefined ? `v${p.version}: ` : ''}${hb.message}`;
  }
  const fraction = p.step === 'done' ? 1 : (p.stepIndex + within) / p.steps.length;
  return { fraction, text };
}

export function progressBar(fraction: number, width = 30): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%`;
}

export function describeResult(r: RetrainResult): string {
  const auc = r.metrics?.rocAuc;
  const metrics = r.metrics ? ` (holdout ROC AUC ${auc === null || auc === undefined ? 'n/a' : auc.toFixed(3)}, ${r.metrics.labelled} labelled)` : '';
  switch (r.outcome) {
    case 'promoted':
      return `v${r.version} promoted${r.retiredVersion !== undefined ? `, v${r.retiredVersion} retired` : ''}: ${r.reason}${metrics}`;
    case 'rejected':
      return `v${r.version} not promoted: ${r.reason}${metrics}`;
    default:
      return `no model trained: ${r.reason}`;
  }
}

async function retrain(args: string[], io: Io): Promise<number> {
  const tenant = tenantArg(args, 'retrain', io);
  if (!tenant) return 2;
  const started = await api<{ workflowId: string; alreadyRunning: boolean }>('POST', '/api/v1/models/retrain', { tenant });
  if (started.alreadyRunning) io.err(`a retrain of ${tenant} is already running (${started.workflowId}); following it\n`);
  let lastLine = '';
  for (;;) {
    const s = await api<RetrainStatus>('GET', `/api/v1/models/retrains/${encodeURIComponent(started.workflowId)}`);
    if (s.status !== 'RUNNING') {
      if (io.tty && lastLine) io.err(`\r${progressBar(1)} ${' '.repeat(Math.max(0, lastLine.length - 36))}\n`);
      if (s.result) {
        if (args.includes('--json')) io.out(JSON.stringify(s.result) + '\n');
        else io.out(describeResult(s.result) + '\n');
        return 0;
      }
      io.err(`retrain ${s.status.toLowerCase()}: ${s.error ?? 'no result'}\n`);
      return 1;
    }
    const { fraction, text } = describeProgress(s);
    const line = `${progressBar(fraction)} ${text}`;
    if (io.tty) io.err(`\r${line.padEnd(lastLine.length)}`);
    else if (line !== lastLine) io.err(line + '\n');
    lastLine = line;
    await io.sleep(500);
  }
}

async function list(args: string[], io: Io): Promise<number> {
  const tenant = tenantArg(args, 'list', io);
  if (!tenant) return 2;
  const r = await api<{ mode: string; active: number | null; trainingRows: { labelled: number; minimum: number }; versions: ModelVersionRow[] }>(
    'GET',
    `/api/v1/models?tenant=${encodeURIComponent(tenant)}`,
  );
  if (args.includes('--json')) {
    io.out(JSON.stringify(r) + '\n');
    return 0;
  }
  io.out(`${tenant}: mode ${r.mode}, ${r.trainingRows.labelled} labelled incidents in the window (minimum ${r.trainingRows.minimum}), active ${r.active === null ? 'none' : `v${r.active}`}\n`);
  if (r.versions.length === 0) io.out('no model versions yet\n');
  for (const v of r.versions) {
    const holdout = (v.metrics.holdout ?? {}) as { rocAuc?: number | null; labelled?: number; noiseHolds?: { precision: number | null } };
    const w = v.dataWindow as { rows?: number; labelled?: number };
    const auc = holdout.rocAuc === null || holdout.rocAuc === undefined ? '  n/a' : holdout.rocAuc.toFixed(3);
    const prec = holdout.noiseHolds?.precision;
    io.out(
      `v${String(v.version).padEnd(4)} ${v.status.padEnd(9)} ${v.createdAt}  rows ${String(w.rows ?? '-').padStart(6)}  labelled ${String(w.labelled ?? '-').padStart(6)}  ` +
        `ROC AUC ${auc}  noise-hold precision ${prec === null || prec === undefined ? 'n/a' : prec.toFixed(3)}${v.reason ? `  ${v.reason}` : ''}\n`,
    );
  }
  return 0;
}

async function report(args: string[], io: Io): Promise<number> {
  const tenant = tenantArg(args, 'report', io);
  if (!tenant) return 2;
  const days = flag(args, '--days') ?? '7';
  if (!/^\d+$/.test(days)) {
    io.err('--days must be a whole number of days\n');
    return 2;
  }
  const r = await api<{ mode: string; report: ShadowReport }>('GET', `/api/v1/models/report?tenant=${encodeURIComponent(tenant)}&days=${days}`);
  if (args.includes('--json')) {
    io.out(JSON.stringify(r.report) + '\n');
    return 0;
  }
  const rep = r.report;
  const line = (what: string, c: ShadowReport['held']) =>
    `  ${what.padEnd(24)} ${String(c.incidents).padStart(6)}   later acked ${c.actionable}, noise ${c.noise}, unknown ${c.unlabelled}\n`;
  io.out(`${tenant} (mode ${r.mode}), last ${rep.days} days: ${rep.classified} incidents classified, ${rep.scored} scored\n`);
  io.out(`enforce would have:\n`);
  io.out(line('held (no page)', rep.held));
  io.out(line('lowered one level', rep.lowered));
  io.out(line('raised one level', rep.raised));
  if (rep.patterns.length) {
    io.out('patterns held or lowered most:\n');
    for (const p of rep.patterns) io.out(`  ${`${p.alertname}${p.service ? ` (${p.service})` : ''}`.padEnd(40)} held ${p.held}, lowered ${p.lowered}, later acked ${p.laterActionable}\n`);
  }
  return 0;
}

export async function model(args: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'retrain':
      return retrain(rest, io);
    case 'list':
      return list(rest, io);
    case 'report':
      return report(rest, io);
    default:
      io.err(MODEL_USAGE);
      return 2;
  }
}
