import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DASHBOARD_FILE = join(__dirname, '..', '..', 'deploy', 'grafana', 'klaxon-dashboard.json');
export const RULES_FILE = join(__dirname, '..', '..', 'deploy', 'prometheus', 'klaxon-rules.yml');

interface Panel {
  title?: string;
  type?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every query of the dashboard (rows' panels included), with the panel it belongs to. */
export function dashboardQueries(file = DASHBOARD_FILE): Array<{ panel: string; expr: string }> {
  const dash = JSON.parse(readFileSync(file, 'utf8')) as { panels: Panel[] };
  const out: Array<{ panel: string; expr: string }> = [];
  const walk = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title ?? '(untitled)', expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dash.panels);
  return out;
}

/** The expression as Grafana would send it: template variables replaced by concrete values. */
export function withVariables(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$(__rate_interval|__interval|__range|\w+)/g, (whole, name: string) => vars[name] ?? whole);
}

/** The rules' expressions (one per `expr:`), read without a YAML dependency on the rules' shape. */
export function ruleExpressions(yamlText: string, parse: (text: string) => unknown): Array<{ alert: string; expr: string }> {
  const doc = parse(yamlText) as { groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }> };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ alert: r.alert ?? r.record ?? '?', expr: String(r.expr).trim() })));
}

/** Metric names an expression selects (klaxon_*, temporal_*, up, and the Node process metrics). */
export function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\b(?:klaxon_\w+|temporal_\w+|process_\w+|nodejs_\w+|up)(?=\s*[{[)]|\s*(?:==|>|<|$))/g) ?? [])];
}
