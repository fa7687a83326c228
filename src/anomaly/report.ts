/**
 * What `enforce` would have changed over a period (`klaxon model report`): every classification
 * records the enforce decision whatever the mode, and the incident's outcome is known later. A held
 * or lowered page that someone later acknowledged is a miss; a raised one that was acted on is a hit.
 */
import type { ReportRow } from '../store/models';
import { deriveLabel } from './labels';

export interface ChangeCount {
  incidents: number;
  /** Later acknowledged by a person or marked actionable. */
  actionable: number;
  /** Resolved by itself within transientWithin, or marked noise. */
  noise: number;
  unlabelled: number;
}

export interface ShadowReport {
  since: string;
  days: number;
  classified: number;
  scored: number;
  /** Classifications per mode in force at the time. */
  modes: Record<string, number>;
  raised: ChangeCount;
  lowered: ChangeCount;
  held: ChangeCount;
  /** Patterns (alertname|service) with the most lowered or held pages. */
  patterns: Array<{ alertname: string; service: string; lowered: number; held: number; laterActionable: number }>;
}

const empty = (): ChangeCount => ({ incidents: 0, actionable: 0, noise: 0, unlabelled: 0 });

export function shadowReport(rows: ReportRow[], opts: { since: string; days: number; transientWithinMs: number }): ShadowReport {
  const report: ShadowReport = { since: opts.since, days: opts.days, classified: rows.length, scored: 0, modes: {}, raised: empty(), lowered: empty(), held: empty(), patterns: [] };
  const patterns = new Map<string, ShadowReport['patterns'][number]>();
  const rank = { info: 0, warning: 1, critical: 2 } as const;
  for (const r of rows) {
    report.modes[r.mode] = (report.modes[r.mode] ?? 0) + 1;
    if (r.score === null) continue;
    report.scored++;
    const label = deriveLabel(r, opts.transientWithinMs);
    const bucket = r.enforceHold
      ? report.held
      : rank[r.enforceSeverity] > rank[r.declaredSeverity]
        ? report.raised
        : rank[r.enforceSeverity] < rank[r.declaredSeverity]
          ? report.lowered
          : undefined;
    if (!bucket) continue;
    bucket.incidents++;
    if (!label) bucket.unlabelled++;
    else if (label.y === 1) bucket.actionable++;
    else bucket.noise++;
    if (bucket !== report.raised) {
      const key = `${r.alertname}|${r.service}`;
      const p = patterns.get(key) ?? { alertname: r.alertname, service: r.service, lowered: 0, held: 0, laterActionable: 0 };
      if (bucket === report.held) p.held++;
      else p.lowered++;
      if (label?.y === 1) p.laterActionable++;
      patterns.set(key, p);
    }
  }
  report.patterns = [...patterns.values()].sort((a, b) => b.held + b.lowered - (a.held + a.lowered) || a.alertname.localeCompare(b.alertname)).slice(0, 10);
  return report;
}
