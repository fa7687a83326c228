import type { AlertItem, MessageLayout } from '../templates/layout';
import { layoutText } from '../templates/layout';
import { cutWithEllipsis } from './truncate';

/**
 * Fitting a message with a known layout into a channel's limit. What the on-call needs most is
 * what is burning and where to look, so in this order: summaries are cut (longest first, to a
 * common length, never below MIN_DETAIL), then whole alerts go from the end and the marker says
 * exactly how many are not shown, and only when even header + marker + footer do not fit are
 * header/footer lines given up (the title and the incident link last).
 */

/** A summary cut shorter than this says too little to be worth its alert's place. */
export const MIN_DETAIL = 40;
/** Beside the marker or the incident link, a title is not cut shorter than this: they go first. */
const MIN_TITLE = 20;

type Escape = (s: string) => string;

export function fitLayout(l: MessageLayout, limit: number, escape: Escape): MessageLayout {
  const fits = (x: MessageLayout) => layoutText(x, escape).length <= limit;
  if (fits(l)) return l;
  // The most alerts that fit with summaries at the minimum. Once the marker is shown, fewer alerts
  // always fit better (a dropped line outweighs a marker one digit longer), so a binary search: a
  // group of 1,500 alerts must not build its text 1,500 times. All of them (no marker) is tried first.
  const all = l.alerts.length;
  let most = fits(shown(l, all, MIN_DETAIL)) ? all : -1;
  if (most < 0) {
    for (let lo = 0, hi = all - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1;
      if (fits(shown(l, mid, MIN_DETAIL))) (most = mid), (lo = mid + 1);
      else hi = mid - 1;
    }
  }
  if (most >= 0) {
    const k = most;
    // k alerts fit with summaries at the minimum: give them back as much as the room allows.
    let lo = MIN_DETAIL;
    let hi = Math.max(MIN_DETAIL, ...l.alerts.slice(0, k).map((a) => a.detail.length));
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(shown(l, k, mid))) lo = mid;
      else hi = mid - 1;
    }
    return shown(l, k, lo);
  }
  return lastResort({ ...l, alerts: [], omitted: l.omitted + l.alerts.length }, limit, escape);
}

/** The first k alerts with their summaries cut to `cap`; the rest counted in `omitted`. */
function shown(l: MessageLayout, k: number, cap: number): MessageLayout {
  const cut = (a: AlertItem): AlertItem => (a.detail.length > cap ? { ...a, detail: cutWithEllipsis(a.detail, cap) } : a);
  return { ...l, alerts: l.alerts.slice(0, k).map(cut), omitted: l.omitted + l.alerts.length - k };
}

/**
 * No alert fits. Header lines after the title go first (advice), then footer lines before the last
 * (runbook), then the title is cut; then the incident link goes, then the marker; the title alone,
 * cut to the limit, is the last resort.
 */
function lastResort(l: MessageLayout, limit: number, escape: Escape): MessageLayout {
  const fits = (x: MessageLayout) => layoutText(x, escape).length <= limit;
  let cur = l;
  while (cur.header.length > 1) {
    cur = { ...cur, header: cur.header.slice(0, -1) };
    if (fits(cur)) return cur;
  }
  while (cur.footer.length > 1) {
    cur = { ...cur, footer: cur.footer.slice(1) };
    if (fits(cur)) return cur;
  }
  const title = cur.header[0];
  for (const rest of [{ ...cur, header: [] }, { ...cur, header: [], footer: [] }, { header: [], alerts: [], omitted: 0, footer: [] }]) {
    const restText = layoutText(rest, escape);
    if (title === undefined) {
      if (restText.length <= limit) return rest;
      continue;
    }
    // The title's room beside the rest, the joining '\n' included; a stub title is not worth the link.
    const room = limit - restText.length - (restText === '' ? 0 : 1);
    const needed = restText === '' ? 0 : Math.min(MIN_TITLE, escape(title).length);
    if (room >= needed) return { ...rest, header: [cutEscaped(title, room, escape)] };
  }
  return { header: [], alerts: [], omitted: 0, footer: [] };
}

/** The longest cut of `s` (ending in "…", surrogate pairs whole) whose escaped form fits in `max`. */
export function cutEscaped(s: string, max: number, escape: Escape): string {
  if (escape(s).length <= max) return s;
  let lo = 0;
  let hi = Math.min(s.length, Math.max(0, max));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (escape(cutWithEllipsis(s, mid)).length <= max) lo = mid;
    else hi = mid - 1;
  }
  return cutWithEllipsis(s, lo);
}
