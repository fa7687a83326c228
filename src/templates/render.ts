import Handlebars from 'handlebars';
import { formatDuration } from '../config/duration';
import type { IncidentView } from '../incident/view';
import { DEFAULT_TEMPLATES, type TemplateName } from './defaults';
import { LAYOUT_HELPERS, parseRendered, type MessageLayout } from './layout';

/** Alerts listed in a message before "… and N more"; channels with tighter limits truncate further. */
const MAX_LISTED_ALERTS = 20;

const hb = Handlebars.create();
hb.registerHelper('upper', (s: unknown) => String(s ?? '').toUpperCase());
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hb.registerHelper('json', (v: unknown) => new Handlebars.SafeString(JSON.stringify(v)));
hb.registerHelper('join', (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : ''));
hb.registerHelper('truncate', (s: unknown, n: unknown) => {
  const text = String(s ?? '');
  const max = Number(n);
  return text.length > max ? text.slice(0, Math.max(0, max - 1)) + '…' : text;
});
for (const [name, helper] of Object.entries(LAYOUT_HELPERS)) hb.registerHelper(name, helper);
hb.registerHelper('duration', (ms: unknown) => formatDuration(Number(ms)));
hb.registerHelper('since', function (this: { now?: string }, iso: unknown, options?: { data?: { root?: { now?: string } } }) {
  const now = Date.parse(options?.data?.root?.now ?? new Date().toISOString());
  return formatDuration(now - Date.parse(String(iso)));
});

export class TemplateError extends Error {
  constructor(readonly template: string, cause: string) {
    super(`template ${template}: ${cause}`);
    this.name = 'TemplateError';
  }
}

export interface RenderContext {
  kind: string;
  incident: IncidentView;
  now: string;
  /** The person paged, when the message goes to someone in particular. */
  recipient?: { id: string; name: string };
}

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** Compiles once per distinct source; `strict` makes a typo in a field name an error, not blank text. */
export function compileTemplate(name: string, source: string): HandlebarsTemplateDelegate {
  const key = `${name}\u0000${source}`;
  let t = cache.get(key);
  if (!t) {
    try {
      t = hb.compile(source, { strict: true, noEscape: true });
      // Compile eagerly so syntax errors surface at validation, not at the first page.
      hb.precompile(source, { strict: true });
    } catch (err) {
      throw new TemplateError(name, (err as Error).message.split('\n')[0]);
    }
    cache.set(key, t);
  }
  return t;
}

function context(ctx: RenderContext) {
  const firingAlerts = ctx.incident.alerts.filter((a) => a.status === 'firing');
  const listed = (ctx.kind === 'resolved' ? ctx.incident.alerts : firingAlerts).slice(0, MAX_LISTED_ALERTS);
  return {
    ...ctx,
    status: ctx.kind === 'resolved' ? 'resolved' : ctx.incident.status,
    firingCount: firingAlerts.length,
    /** For an update ("1 of 2 alerts resolved"): how many of the group's alerts resolved, of how many. */
    resolvedCount: ctx.incident.alerts.length - firingAlerts.length,
    alertCount: ctx.incident.alerts.length,
    firing: listed,
    moreFiring: Math.max(0, (ctx.kind === 'resolved' ? ctx.incident.alerts.length : firingAlerts.length) - listed.length),
    severity: ctx.incident.severity,
    links: ctx.incident.links,
    /** The anomaly model's reading, when the tenant wants it in messages (advise/enforce); else empty. */
    advice: ctx.incident.anomaly?.advise ? `Anomaly score ${ctx.incident.anomaly.score?.toFixed(2) ?? 'n/a'}: ${ctx.incident.anomaly.reason}` : '',
  };
}

export function renderTemplate(name: string, source: string, ctx: RenderContext): string {
  return renderStructured(name, source, ctx).text;
}

/** The rendered text and, when the template marks its alert list, its layout (for truncation). */
export function renderStructured(name: string, source: string, ctx: RenderContext): { text: string; layout?: MessageLayout } {
  const t = compileTemplate(name, source);
  let raw: string;
  try {
    raw = t(context(ctx));
  } catch (err) {
    throw new TemplateError(name, (err as Error).message.split('\n')[0]);
  }
  return parseRendered(raw);
}

export interface RenderedMessage {
  title: string;
  text: string;
  /** Structure of `text` (absent for templates that do not mark it): see templates/layout.ts. */
  layout?: MessageLayout;
}

/** Renders title and text for one receiver type, using the tenant's override where it has one. */
export function renderMessage(receiverType: string, overrides: Record<string, string>, ctx: RenderContext): RenderedMessage {
  const pick = (n: TemplateName) => overrides[`${receiverType}.${n}`] ?? overrides[n] ?? DEFAULT_TEMPLATES[n];
  const body = renderStructured(`${receiverType}.text`, pick('text'), ctx);
  return { title: renderTemplate(`${receiverType}.title`, pick('title'), ctx), text: body.text, ...(body.layout ? { layout: body.layout } : {}) };
}
