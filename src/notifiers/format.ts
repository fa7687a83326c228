import type { NotificationMessage } from './types';
import type { IncidentView } from '../incident/view';

/** Presentation shared by the chat channels: status words, colours, facts, URL building. */

export type MessageKind = NotificationMessage['kind'];

const STATUS: Record<MessageKind, { label: string; emoji: string }> = {
  firing: { label: 'FIRING', emoji: '🔥' },
  escalated: { label: 'ESCALATED', emoji: '📣' },
  acknowledged: { label: 'ACKNOWLEDGED', emoji: '👀' },
  resolved: { label: 'RESOLVED', emoji: '✅' },
  test: { label: 'TEST', emoji: '🧪' },
  updated: { label: 'UPDATE', emoji: '🔄' },
};

export function statusLabel(kind: MessageKind): string {
  return STATUS[kind].label;
}

export function statusEmoji(kind: MessageKind): string {
  return STATUS[kind].emoji;
}

/**
 * The status a message shows. An update (partial resolve) shows the incident as it is now (still
 * firing, or acknowledged): it often rewrites the original message (chat.update, a Discord edit), which
 * must keep saying what state the incident is in; only its emoji marks it as an update.
 */
export function shownKind(m: NotificationMessage): MessageKind {
  return m.kind === 'updated' ? m.incident.status : m.kind;
}

/** Whether the incident is over as far as this message is concerned (buttons go, colours turn green). */
export function isClosed(m: NotificationMessage): boolean {
  return m.kind === 'resolved' || m.incident.status === 'resolved';
}

/** RGB colour for the message: by severity while open, green once resolved, amber while acknowledged. */
export function colorOf(m: NotificationMessage): number {
  if (isClosed(m)) return 0x2eb67d;
  if (m.kind === 'acknowledged' || m.incident.status === 'acknowledged') return 0xecb22e;
  if (m.kind === 'test') return 0x607d8b;
  return { critical: 0xe01e5a, warning: 0xf2a900, info: 0x36c5f0 }[m.incident.severity];
}

export function hexColor(rgb: number): string {
  return '#' + rgb.toString(16).padStart(6, '0');
}

/** Key facts shown next to the text on every chat channel. */
export function facts(incident: IncidentView, m?: NotificationMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [
    ['Status', m ? statusLabel(shownKind(m)) : incident.status],
    ['Severity', incident.severity],
    ['Service', incident.service || '—'],
    ['Alerts', String(incident.alerts.length)],
  ];
  if (incident.acknowledgedBy) out.push(['Acknowledged by', incident.acknowledgedBy]);
  return out;
}

/**
 * The one-line headline: "🔥 [FIRING] title". The status appears once: a title that already starts
 * with one (the default title template's "[FIRING:2] …") keeps it, and only the emoji is added.
 */
export function headline(m: NotificationMessage): string {
  return `${statusEmoji(m.kind)} ${statusTitle(m)}`;
}

/** The title with the status in front, once: "[FIRING] title", or the title as it is when it has one. */
export function statusTitle(m: NotificationMessage): string {
  return STARTS_WITH_STATUS.test(m.title) ? m.title : `[${statusLabel(shownKind(m))}] ${m.title}`;
}

const STARTS_WITH_STATUS = /^\[(FIRING|ESCALATED|ACKNOWLEDGED|RESOLVED|TEST)(:\d+)?\]/i;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Appends path segments (each URL-encoded) to a base URL, keeping its query string. */
export function appendPath(base: string, ...segments: string[]): string {
  const u = new URL(base);
  u.pathname = u.pathname.replace(/\/+$/, '') + segments.map((s) => '/' + encodeURIComponent(s)).join('');
  return u.toString();
}

export function withQuery(base: string, params: Record<string, string>): string {
  const u = new URL(base);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}
