/**
 * Default message templates (Handlebars). `title` is one line; `text` is the body. Tenants override
 * them per receiver type under `templates:` (key `<type>.title` / `<type>.text`). The text marks its
 * alert list with the layout helpers (templates/layout.ts), so a channel that must shorten it cuts
 * summaries and drops whole alerts while keeping the header and the incident link.
 *
 * An update (some of the group's alerts resolved) shares the page's alert list and footer, so it
 * lists what is still firing and is truncated the same way; its title keeps the incident's status
 * ("[FIRING:1] …"), as the update is a view of the incident now, not a new moment of it.
 */
export const DEFAULT_TEMPLATES = {
  title: '[{{upper status}}{{#if (eq status "firing")}}:{{firingCount}}{{/if}}] {{incident.title}}',
  text: [
    '{{#if (eq kind "resolved")}}Resolved: {{incident.title}} after {{since incident.startedAt}}.{{#if incident.unpaged}} It fired at {{incident.startedAt}} and resolved at {{incident.resolvedAt}} while Klaxon was delayed, before anyone was paged.{{/if}}',
    '{{else if (eq kind "acknowledged")}}Acknowledged by {{incident.acknowledgedBy}}: {{incident.title}}{{#if incident.snoozedUntil}} (snoozed until {{incident.snoozedUntil}}){{/if}}.',
    '{{else}}{{#if incident.note}}Runbook {{incident.note.runbook}}: {{incident.note.text}}',
    'Firing:',
    '{{else if incident.approval}}Runbook {{incident.approval.runbook}} asks {{#if incident.approval.approvers}}{{join incident.approval.approvers ", "}} {{/if}}for approval (until {{incident.approval.until}}): {{incident.approval.reason}}{{#if incident.links.approve}}',
    'Approve or deny: {{incident.links.approve}}{{/if}}',
    'Firing:',
    '{{else if (eq kind "updated")}}Update: {{resolvedCount}} of {{alertCount}} alerts resolved: {{incident.title}}. Still firing:',
    '{{else}}{{upper incident.severity}} {{incident.title}}',
    '{{#if advice}}{{advice}}',
    '{{/if}}{{/if}}{{#alertList}}{{#each firing}}{{#alertLine}}- {{labels.alertname}}{{#if labels.instance}} on {{labels.instance}}{{/if}}{{#if annotations.summary}}: {{#alertDetail}}{{annotations.summary}}{{/alertDetail}}{{/if}}{{/alertLine}}',
    '{{/each}}{{moreAlerts moreFiring}}{{/alertList}}',
    '{{#if incident.links.runbook}}Runbook: {{incident.links.runbook}}',
    '{{/if}}Incident: {{incident.links.incident}}{{/if}}',
  ].join('\n'),
} as const;

export type TemplateName = keyof typeof DEFAULT_TEMPLATES;
