/** The few server-rendered pages (link confirmations, the incident page): escaping and a shell. */

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE =
  'body{font:15px/1.45 system-ui,sans-serif;max-width:52rem;margin:1.5rem auto;padding:0 1rem;color:#1d1d1f}' +
  'table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}' +
  '.s-firing{color:#b3261e}.s-acknowledged{color:#8a5a00}.s-resolved{color:#1b6e2d}code{font-size:13px}';

export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export const htmlLine = (title: string, text: string) => htmlPage(title, `<p>${esc(text)}</p>`);
