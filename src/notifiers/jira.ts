import type { ReceiverOf } from '../config/receivers';
import type { NotificationMessage, Notifier, NotifierContext } from './types';
import { basicAuth } from './http';
import { DeliveryError } from './errors';
import { appendPath, headline } from './format';
import { cutWithEllipsis } from './truncate';
import { fitMessageText } from './fitMessage';

/**
 * Jira Cloud / Server: the page creates an issue (REST v3 with an Atlassian Document Format
 * description, or v2 with plain text); updates add comments; resolve adds a comment and applies the
 * configured transition, looked up by name or id through GET …/transitions (ids differ per workflow).
 */

type JiraConfig = ReceiverOf<'jira'>;

/** Jira text fields hold at most 32,767 characters; summary at most 255 and a single line. */
const TEXT_MAX = 32_000;
const SUMMARY_MAX = 255;

/** Atlassian Document Format: one paragraph per non-empty line, then a link to the incident. */
export function adf(text: string, link?: { href: string; text: string }) {
  const content: unknown[] = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => ({ type: 'paragraph', content: [{ type: 'text', text: l }] }));
  if (link) content.push({ type: 'paragraph', content: [{ type: 'text', text: link.text, marks: [{ type: 'link', attrs: { href: link.href } }] }] });
  return { type: 'doc', version: 1, content };
}

/** The message text (after `prefix`, e.g. a comment's headline) fitted to Jira's field, plus a link to the incident. */
function richText(c: JiraConfig, m: NotificationMessage, prefix = '') {
  const link = { href: m.incident.links.incident, text: 'Open incident in Klaxon' };
  const body = fitMessageText(m, TEXT_MAX, { prefix });
  return c.apiVersion === '3' ? adf(body, link) : `${body}\n\n[${link.text}|${link.href}]`;
}

function api(c: JiraConfig, ...path: string[]): string {
  return appendPath(c.url, 'rest', 'api', c.apiVersion, ...path);
}

async function call(c: JiraConfig, ctx: NotifierContext, method: 'GET' | 'POST', url: string, body?: unknown) {
  const token = c.apiToken.reveal();
  return ctx.http.send({
    method,
    url,
    headers: { authorization: basicAuth(c.email, token), accept: 'application/json' },
    body,
    timeoutMs: c.timeout,
    secrets: [token],
  });
}

export function jiraIssueFields(c: JiraConfig, m: NotificationMessage) {
  const inc = m.incident;
  const priority = c.priority?.[inc.severity];
  return {
    project: { key: c.project },
    summary: cutWithEllipsis(m.title.replace(/\s*\n\s*/g, ' '), SUMMARY_MAX),
    description: richText(c, m),
    issuetype: { name: c.issueType },
    labels: c.labels,
    ...(priority ? { priority: { name: priority } } : {}),
  };
}

async function resolveTransition(c: JiraConfig, ctx: NotifierContext, key: string): Promise<{ id: string; name: string }> {
  const res = await call(c, ctx, 'GET', api(c, 'issue', key, 'transitions'));
  const { transitions } = res.json<{ transitions: Array<{ id: string; name: string; to?: { name?: string } }> }>();
  const want = c.resolveTransition.toLowerCase();
  const t = transitions.find((x) => x.id === c.resolveTransition || x.name.toLowerCase() === want || x.to?.name?.toLowerCase() === want);
  if (!t) {
    throw new DeliveryError(`jira issue ${key} has no transition "${c.resolveTransition}" (available: ${transitions.map((x) => x.name).join(', ') || 'none'})`, {
      retryable: false,
    });
  }
  return t;
}

export const jiraNotifier: Notifier<'jira'> = {
  type: 'jira',
  repageInThread: true,
  maxTextLength: TEXT_MAX,
  async send(c, m, ctx) {
    const res = await call(c, ctx, 'POST', api(c, 'issue'), { fields: jiraIssueFields(c, m) });
    const issue = res.json<{ id: string; key: string }>();
    return { thread: { issueKey: issue.key, issueId: issue.id }, response: `created ${issue.key}` };
  },
  async update(c, m, ctx) {
    const key = m.thread.issueKey;
    const who = m.incident.acknowledgedBy ? ` by ${m.incident.acknowledgedBy}` : '';
    await call(c, ctx, 'POST', api(c, 'issue', key, 'comment'), { body: richText(c, m, `${headline(m)}${m.kind === 'acknowledged' ? who : ''}\n`) });
    // Only the resolve moves the issue. Everything else (ack, re-page, a partial resolve) is one
    // comment on the one issue: POST /rest/api/{2|3}/issue/{issueIdOrKey}/comment "Adds a comment to an issue"
    // (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/#api-rest-api-3-issue-issueidorkey-comment-post).
    if (m.kind !== 'resolved') return { thread: m.thread, response: `commented on ${key}` };
    const t = await resolveTransition(c, ctx, key);
    await call(c, ctx, 'POST', api(c, 'issue', key, 'transitions'), { transition: { id: t.id } });
    return { thread: m.thread, response: `commented on ${key} and transitioned to ${t.name}` };
  },
};
