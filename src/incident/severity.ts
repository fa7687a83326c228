import type { Severity } from './view';

/** Maps the many spellings teams use in the `severity` label onto Klaxon's three levels. */
const ALIASES: Record<string, Severity> = {
  critical: 'critical', crit: 'critical', page: 'critical', p1: 'critical', high: 'critical', error: 'critical', fatal: 'critical', emergency: 'critical',
  warning: 'warning', warn: 'warning', p2: 'warning', p3: 'warning', medium: 'warning', major: 'warning', minor: 'warning',
  info: 'info', informational: 'info', low: 'info', p4: 'info', p5: 'info', none: 'info', notice: 'info',
};

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function severityOf(labels: Record<string, string>): Severity {
  return ALIASES[(labels.severity ?? '').toLowerCase()] ?? 'warning';
}

export function maxSeverity(list: Severity[]): Severity {
  return list.reduce<Severity>((a, b) => (RANK[b] > RANK[a] ? b : a), 'info');
}

export function severityRank(s: Severity): number {
  return RANK[s];
}
