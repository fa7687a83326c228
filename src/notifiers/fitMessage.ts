import { layoutText, type MessageLayout } from '../templates/layout';
import { fitLayout } from './fitLayout';
import { cutWithEllipsis, truncateText } from './truncate';
import type { NotificationMessage } from './types';

/**
 * The one way a channel shortens a message's text to its vendor's limit: alert by alert when the
 * renderer recorded the text's layout (default templates), line by line otherwise (tenant templates).
 */

export interface FitOptions {
  /** Channel escaping (mrkdwn, HTML), applied before measuring; must map characters one by one. */
  escape?: (s: string) => string;
  /** Already-formatted text put before the body (a mention, a headline + '\n'); counts toward the limit. */
  prefix?: string;
  /** Use the title when the text is empty (chat channels that must show something). */
  orTitle?: boolean;
}

type Fittable = Pick<NotificationMessage, 'text' | 'title' | 'layout'>;

const identity = (s: string) => s;

/** The layout, if it still describes the text (a caller that changed `text` loses it). */
function layoutOf(m: Pick<NotificationMessage, 'text' | 'layout'>): MessageLayout | undefined {
  return m.layout && layoutText(m.layout) === m.text ? m.layout : undefined;
}

/** `prefix` + the (escaped) text, at most `limit` characters. */
export function fitMessageText(m: Fittable, limit: number, opts: FitOptions = {}): string {
  const escape = opts.escape ?? identity;
  const prefix = opts.prefix ?? '';
  const text = m.text === '' && opts.orTitle ? m.title : m.text;
  const layout = text === m.text ? layoutOf(m) : undefined;
  const room = limit - prefix.length;
  // A prefix that leaves no room (a huge title in a headline) is cut along with the text.
  if (room < 1) return cutWithEllipsis(prefix + escape(text), limit);
  return prefix + (layout ? layoutText(fitLayout(layout, room, escape), escape) : truncateText(escape(text), room));
}

/** The message with text (and layout) fitted to `max`, for deliver(): a channel may fit it again. */
export function fitMessage<M extends Pick<NotificationMessage, 'text' | 'layout'>>(m: M, max: number): M {
  if (m.text.length <= max) return m;
  const layout = layoutOf(m);
  if (!layout) return { ...m, text: truncateText(m.text, max), layout: undefined };
  const fitted = fitLayout(layout, max, identity);
  return { ...m, text: layoutText(fitted), layout: fitted };
}
