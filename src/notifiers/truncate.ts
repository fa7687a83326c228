/**
 * Line-based fitting of a text into a channel's size limit, for texts with no known layout (a
 * tenant's own template; fitMessage.ts handles the default templates alert by alert). Whole lines
 * go from the end and "… and N more alerts" says how many (non-blank) lines were left out. A vendor
 * that rejects an oversized message would lose the whole page; a shortened one still tells the
 * on-call what is burning.
 */
import { moreAlertsMarker } from '../templates/layout';

export { moreAlertsMarker };

/** Cuts to at most `max` UTF-16 units ending in "…", never splitting a surrogate pair. */
export function cutWithEllipsis(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, Math.max(0, end)) + '…';
}

/**
 * Returns `text` unchanged when it fits in `limit` characters; otherwise the longest run of leading
 * lines that fits together with the marker. When not even one line fits, the first line is cut with
 * an ellipsis (and the marker kept if there is room for it).
 */
export function truncateText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const lines = text.split('\n');
  // prefix[k] = length of the first k lines joined with '\n'.
  const prefix: number[] = [0];
  for (let i = 0; i < lines.length; i++) prefix.push(prefix[i] + lines[i].length + (i > 0 ? 1 : 0));
  let dropped = 0;
  for (let k = lines.length - 1; k >= 1; k--) {
    if (lines[k].trim() !== '') dropped++;
    if (dropped === 0) {
      if (prefix[k] <= limit) return lines.slice(0, k).join('\n');
      continue;
    }
    const marker = moreAlertsMarker(dropped);
    if (prefix[k] + 1 + marker.length <= limit) return lines.slice(0, k).join('\n') + '\n' + marker;
  }
  const rest = lines.slice(1).filter((l) => l.trim() !== '').length;
  const marker = rest > 0 ? moreAlertsMarker(rest) : '';
  if (marker && marker.length + 2 <= limit) return cutWithEllipsis(lines[0], limit - marker.length - 1) + '\n' + marker;
  return cutWithEllipsis(text, limit);
}
