import type { HelperDelegate, HelperOptions } from 'handlebars';

/**
 * The structure of a rendered message text, so a channel that must shorten it knows which lines
 * are alerts without guessing from the text: header lines (title, advice), one item per listed
 * alert, how many alerts are not listed, footer lines (runbook, incident link).
 *
 * A template marks the structure with block helpers (the default templates do; a tenant's copy of
 * them keeps working):
 *   {{#alertList}} … {{/alertList}}   the alert list; what comes before is header, after is footer
 *   {{#alertLine}} … {{/alertLine}}   one alert (may span lines)
 *   {{#alertDetail}} … {{/alertDetail}} the part of an alert's line that may be cut (its summary)
 *   {{moreAlerts n}}                  "… and n more alerts" (nothing when n is 0)
 * The helpers wrap their output in Unicode noncharacters (U+FDD0–U+FDD7), which `parseRendered`
 * reads and removes. A template without them (or with them misused) has no layout, and its text is
 * shortened line by line as before.
 */

export interface AlertItem {
  /** "- alertname on instance: " */
  lead: string;
  /** The summary; what truncation cuts first. */
  detail: string;
  tail: string;
}

export interface MessageLayout {
  header: string[];
  alerts: AlertItem[];
  /** Alerts not listed (the renderer's cap, then a channel's limit): shown once as the marker. */
  omitted: number;
  footer: string[];
}

export function moreAlertsMarker(n: number): string {
  return `… and ${n} more alert${n === 1 ? '' : 's'}`;
}

const LIST_OPEN = '\uFDD0';
const LIST_CLOSE = '\uFDD1';
const ALERT_OPEN = '\uFDD2';
const ALERT_CLOSE = '\uFDD3';
const DETAIL_OPEN = '\uFDD4';
const DETAIL_CLOSE = '\uFDD5';
const MORE_OPEN = '\uFDD6';
const MORE_CLOSE = '\uFDD7';
const ANY_MARK = /[\uFDD0-\uFDD7]/g;
const HAS_MARK = /[\uFDD0-\uFDD7]/;

const wrap = (open: string, close: string): HelperDelegate =>
  function (this: unknown, options: HelperOptions) {
    return open + options.fn(this) + close;
  };

/** Registered on the template engine by render.ts. */
export const LAYOUT_HELPERS: Record<string, HelperDelegate> = {
  alertList: wrap(LIST_OPEN, LIST_CLOSE),
  alertLine: wrap(ALERT_OPEN, ALERT_CLOSE),
  alertDetail: wrap(DETAIL_OPEN, DETAIL_CLOSE),
  moreAlerts: (n: unknown) => (Number(n) > 0 ? MORE_OPEN + moreAlertsMarker(Number(n)) + MORE_CLOSE : ''),
};

const identity = (s: string) => s;

/**
 * The message text of a layout. `escape` (Slack mrkdwn, HTML) is applied piece by piece, so it must
 * map characters one by one and leave '\n' alone — then the result equals escaping the whole text.
 */
export function layoutText(l: MessageLayout, escape: (s: string) => string = identity): string {
  const lines = [
    ...l.header.map(escape),
    ...l.alerts.map((a) => escape(a.lead) + escape(a.detail) + escape(a.tail)),
    ...(l.omitted > 0 ? [escape(moreAlertsMarker(l.omitted))] : []),
    ...l.footer.map(escape),
  ];
  return lines.join('\n');
}

const N = '[^\\uFDD0-\\uFDD7]*';
const ITEM = new RegExp(`\\s*(?:${ALERT_OPEN}(${N})(?:${DETAIL_OPEN}(${N})${DETAIL_CLOSE}(${N}))?${ALERT_CLOSE}|${MORE_OPEN}… and (\\d+) more alerts?${MORE_CLOSE})`, 'y');

/**
 * The text and (when the template marked it) the layout of one rendered template. With a layout,
 * the text is `layoutText(layout)`: blank space around the list is normalised to line breaks.
 */
export function parseRendered(raw: string): { text: string; layout?: MessageLayout } {
  const layout = layoutOf(raw);
  return layout ? { text: layoutText(layout), layout } : { text: raw.replace(ANY_MARK, '').trim() };
}

function layoutOf(raw: string): MessageLayout | undefined {
  const open = raw.indexOf(LIST_OPEN);
  const close = raw.indexOf(LIST_CLOSE);
  if (open < 0 || close < open || raw.indexOf(LIST_OPEN, open + 1) >= 0 || raw.indexOf(LIST_CLOSE, close + 1) >= 0) return undefined;
  const before = raw.slice(0, open).trimStart();
  const inside = raw.slice(open + 1, close);
  const after = raw.slice(close + 1);
  if (HAS_MARK.test(before) || HAS_MARK.test(after)) return undefined;
  // The list must start and end on line boundaries, or a header/footer line would be split.
  if (before !== '' && !before.endsWith('\n')) return undefined;
  if (after.trim() !== '' && !after.startsWith('\n') && !/\n\s*$/.test(inside)) return undefined;

  const alerts: AlertItem[] = [];
  let omitted = 0;
  ITEM.lastIndex = 0;
  let pos = 0;
  for (let m = ITEM.exec(inside); m; m = ITEM.exec(inside)) {
    if (omitted > 0) return undefined; // the marker closes the list
    if (m[4] !== undefined) omitted = Number(m[4]);
    else alerts.push(m[2] === undefined ? { lead: m[1], detail: '', tail: '' } : { lead: m[1], detail: m[2], tail: m[3] });
    pos = ITEM.lastIndex;
  }
  if (inside.slice(pos).trim() !== '') return undefined;
  const lines = (s: string) => (s === '' ? [] : s.split('\n'));
  return {
    header: lines(before.replace(/\n$/, '')),
    alerts,
    omitted,
    footer: lines(after.replace(/^\n/, '').trimEnd()),
  };
}
