import type { IncidentView } from './view';
import type { PlanStep } from '../../activities/plan';
import type { NotifyTargets } from '../config/schema';
import { formatDuration } from '../config/duration';

/**
 * What the Temporal Web UI shows of an incident (Temporal's user metadata): a one-line summary, the
 * static details written at start, and the current details the workflow keeps up to date. Pure and
 * deterministic (workflow code uses it); everything here goes through the payload codec, so it is
 * encrypted in Temporal and decoded in the UI by Klaxon's codec server.
 *
 * Label values and annotations are text from outside: they are escaped, never markdown or links.
 */

/**
 * Kept short: the summary is one line in the UI, and the Web UI (2.54) renders markdown through a
 * URL query parameter (`/render?content=…`), so details of many KB make very long URLs.
 */
export const SUMMARY_MAX_CHARS = 200;
export const DETAILS_MAX_CHARS = 8_000;
/** Alerts listed in the static details; the rest is a count. */
const ALERTS_LISTED = 20;

/** The list's one line: the incident's title. */
export function staticSummary(view: Pick<IncidentView, 'title'>): string {
  return clip(oneLine(view.title), SUMMARY_MAX_CHARS);
}

/**
 * Markdown written once, at start: alerts, labels, runbook links. The incident's id and Klaxon's
 * links are in the current details: the id names the run, which the server assigns at start.
 */
export function staticDetails(view: Pick<IncidentView, 'tenant' | 'severity' | 'startedAt' | 'alerts' | 'commonLabels' | 'alertname'>): string {
  const out: string[] = [];
  out.push(`**Tenant** ${md(view.tenant)} · **severity** ${md(view.severity)} · **opened** ${md(view.startedAt)}`);
  const firing = view.alerts.filter((a) => a.status === 'firing').length;
  out.push('', `### Alerts (${view.alerts.length}, ${firing} firing)`);
  for (const a of view.alerts.slice(0, ALERTS_LISTED)) {
    const name = a.labels.alertname ?? view.alertname;
    const instance = a.labels.instance ? ` on ${md(a.labels.instance)}` : '';
    const summary = a.annotations.summary ?? a.annotations.description;
    out.push(`- **${md(name)}**${instance}${a.status === 'resolved' ? ' (resolved)' : ''}${summary ? `: ${md(clip(oneLine(summary), 300))}` : ''}`);
  }
  if (view.alerts.length > ALERTS_LISTED) out.push(`- … and ${view.alerts.length - ALERTS_LISTED} more`);
  const labels = Object.entries(view.commonLabels).sort(([a], [b]) => a.localeCompare(b));
  if (labels.length) out.push('', '### Labels', labels.map(([k, v]) => `${md(k)}=${md(clip(oneLine(v), 200))}`).join(' · '));
  const runbooks = [...new Set(view.alerts.map((a) => a.annotations.runbook_url).filter((u): u is string => !!u && safeUrl(u)))].slice(0, 5);
  if (runbooks.length) out.push('', '### Runbooks', ...runbooks.map((u) => `- ${link(u, u)}`));
  return fit(out);
}

/** Where the escalation stands, as the workflow knows it now. */
export interface ConsoleState {
  view: Pick<IncidentView, 'id' | 'title' | 'status' | 'severity' | 'acknowledgedBy' | 'snoozedUntil' | 'assignee' | 'policy' | 'step' | 'held' | 'resolvedAt'>;
  /** Receivers (and people) paged so far; `unconfirmed` while the page's outcome is not known. */
  paged: Array<{ receiver: string; user?: string; unconfirmed?: boolean }>;
  steps?: PlanStep[];
  /** What the workflow waits for next, and until when. */
  next?: NextStep;
  sla?: { tier: string; ackDueAt: string; resolveDueAt: string; breached: string[] };
  /** Klaxon's incident page (signed, read-only; only when links are signed) and the JSON API. */
  links?: { api?: string; page?: string };
  flapping?: { count: number; quietSince?: string; windowMs: number };
}

export type NextStep =
  | { kind: 'step'; at: string; cursor: number }
  | { kind: 'ackTimeout'; at: string }
  | { kind: 'snoozeEnds'; at: string }
  | { kind: 'holdEnds'; at: string }
  | { kind: 'quietResolves'; at: string };

/** Markdown for setCurrentDetails(): status, who acknowledged, who is paged, the next step and when. */
export function currentDetails(s: ConsoleState): string {
  const v = s.view;
  const out: string[] = [`**${md(v.title)}**`, ''];
  const status = v.status === 'acknowledged' && v.snoozedUntil ? `snoozed by ${md(v.acknowledgedBy ?? '?')} until ${v.snoozedUntil}` : v.status === 'acknowledged' ? `acknowledged by ${md(v.acknowledgedBy ?? '?')}` : v.status;
  out.push(`- **Status:** ${status}${v.status === 'resolved' && v.resolvedAt ? ` at ${v.resolvedAt}` : ''} · ${md(v.severity)}`);
  if (v.policy) out.push(`- **Policy:** ${md(v.policy)}${s.steps ? `, step ${Math.min((v.step ?? 0) + 1, s.steps.length)} of ${s.steps.length}` : ''}`);
  if (v.assignee) out.push(`- **Assigned to:** ${md(v.assignee)}`);
  if (v.held) out.push(`- **Held:** ${md(v.held)}`);
  out.push(`- **Paged:** ${s.paged.length ? s.paged.map((p) => `${md(p.receiver)}${p.user ? ` → ${md(p.user)}` : ''}${p.unconfirmed ? ' (sending)' : ''}`).join(', ') : 'nobody yet'}`);
  if (v.status !== 'resolved' && s.next) out.push(`- **Next:** ${md(describeNext(s.next, s.steps))}`);
  if (s.flapping) out.push(`- **Flapping:** fired ${s.flapping.count} times${s.flapping.quietSince ? `; quiet since ${s.flapping.quietSince}` : ''}`);
  if (s.sla) {
    const b = s.sla.breached;
    out.push(`- **SLA (${md(s.sla.tier)}):** ack by ${s.sla.ackDueAt}${b.includes('ack') ? ' (breached)' : ''}, resolve by ${s.sla.resolveDueAt}${b.includes('resolve') ? ' (breached)' : ''}`);
  }
  const links = [s.links?.page && safeUrl(s.links.page) ? link('incident page', s.links.page) : '', s.links?.api && safeUrl(s.links.api) ? `${link('API', s.links.api)} (token with read)` : ''].filter(Boolean);
  out.push(`- **Klaxon:** incident ${md(v.id)}${links.length ? ` · ${links.join(' · ')}` : ''}`);
  return fit(out);
}

function describeNext(next: NextStep, steps: PlanStep[] = []): string {
  switch (next.kind) {
    case 'ackTimeout':
      return `acknowledgement times out at ${next.at}: page again from step 1`;
    case 'snoozeEnds':
      return `snooze ends at ${next.at}: escalation resumes`;
    case 'holdEnds':
      return `hold is checked again at ${next.at}`;
    case 'quietResolves':
      return `resolves at ${next.at} unless it fires again`;
    case 'step': {
      // The step after the wait that is running (waits in a row are one wait).
      let i = next.cursor;
      while (steps[i]?.kind === 'wait') i++;
      const step = steps[i];
      return step ? `${describeStep(step, i)} at ${next.at}` : `policy ends at ${next.at}`;
    }
  }
}

/** One policy step in plain words, numbered as in the config (1-based): "page slack-ops, step 1". */
export function describeStep(step: PlanStep, index: number): string {
  const n = `step ${index + 1}`;
  switch (step.kind) {
    case 'notify':
      return `page ${describeTargets(step.targets)}, ${n}`;
    case 'notifyIf':
      return `page ${describeTargets(step.targets)} if ${step.outside ? 'outside' : 'inside'} ${step.window}, ${n}`;
    case 'wait':
      return `wait ${formatDuration(step.ms)}, ${n}`;
    case 'repeat':
      return `repeat from step ${step.from + 1}, ${n}`;
    case 'resolveAfter':
      return `resolve after ${formatDuration(step.ms)} without change, ${n}`;
  }
}

export function describeTargets(t: NotifyTargets): string {
  const parts = [...t.receivers, ...t.schedules.map((s) => `schedule ${s}`), ...t.users];
  return parts.length ? parts.join(', ') : 'nobody';
}

/**
 * Escapes text from outside so it renders as itself: no emphasis, code, links or HTML. Line-start
 * markers (`-`, `#`, `1.`) need no escape: such text never starts a line here.
 */
export function md(text: string): string {
  // Backslash escapes, not HTML entities: the Web UI shows an entity as typed (`&lt;`).
  return text.replace(/[\\`*_{}[\]()|<>~&]/g, (c) => `\\${c}`);
}

/** Only plain http(s) URLs become links; anything else (javascript:, data:, spaces) stays text. */
function safeUrl(u: string): boolean {
  return /^https?:\/\/[^\s<>()"'`\\]+$/i.test(u) && u.length <= 2000;
}

function link(text: string, url: string): string {
  return `[${md(text)}](${url})`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Whole lines up to the cap, so a cut never leaves half an escape or link. */
function fit(lines: string[]): string {
  let text = '';
  for (const line of lines) {
    if (text.length + line.length + 1 > DETAILS_MAX_CHARS - 20) return `${text}\n… (cut)`;
    text += (text ? '\n' : '') + line;
  }
  return text;
}
