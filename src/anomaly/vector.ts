/**
 * Incidents → the models' feature vectors (models/features.ts), in two styles:
 *
 * - recorded: what classify sees live — the incident's own alerts (annotations, group size …), its
 *   start time, and the tenant's recent history (ModelStore.classifyContext). Stored with every
 *   classification.
 * - reconstructed: what the incidents table alone allows for any incident, including those from
 *   before anomaly scoring existed — one alert carrying the incident's common labels, no
 *   annotations, starting when the incident started, and the same history counts (HistoryIndex in
 *   the export, classifyContext live). Models trained on it score reconstructed vectors too.
 *
 * History definitions (both paths): same alertname in the hour / day before the incident started;
 * "flaps" = earlier incidents in the last day with exactly the same common labels (the same group
 * firing again after resolving); seconds since the previous incident of the same alertname.
 */
import { extractFeatures, type IncidentHistory } from '../../models/features';
import { wallAt } from '../oncall/localTime';
import type { AlertView } from '../incident/view';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** How far back reconstruction looks for "the previous incident of the same alertname". */
export const RECONSTRUCT_LOOKBACK_MS = 7 * DAY_MS;

/** Offset of `zone` from UTC at `at`, in minutes (for the time-of-day / day-of-week slots). */
export function tzOffsetMinutes(zone: string, at: Date): number {
  if (zone === 'UTC') return 0;
  const t = at.getTime();
  return Math.round((wallAt(t, zone) - t) / 60_000);
}

export type VectorStyle = 'recorded' | 'reconstructed';

/** The incident as the incidents table remembers it: one firing alert with the common labels. */
export function reconstructedAlerts(commonLabels: Record<string, string>, startedAt: string): AlertView[] {
  return [{ fingerprint: '', status: 'firing', labels: commonLabels, annotations: {}, startsAt: startedAt }];
}

export function incidentVector(alerts: AlertView[], at: Date, history: IncidentHistory, zone: string): Float32Array {
  return extractFeatures(
    { alerts: alerts.map((a) => ({ labels: a.labels, annotations: a.annotations ?? {}, status: a.status, startsAt: a.startsAt })), at, history },
    { tzOffsetMinutes: tzOffsetMinutes(zone, at) },
  );
}

/** The incident's pattern for the noise rule: alertname and service, as the incident view names them. */
export function patternOf(commonLabels: Record<string, string>, alerts: Array<{ labels: Record<string, string> }>): { alertname: string; service: string } {
  return {
    alertname: commonLabels.alertname ?? alerts[0]?.labels.alertname ?? 'alert',
    service: commonLabels.service ?? alerts[0]?.labels.service ?? '',
  };
}

export function patternKey(alertname: string, service: string): string {
  return `${alertname}|${service}`;
}

/** Key-order independent identity of a label set (what jsonb equality means in the live query). */
export function labelsKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

/** Sorted start times per key, answering "how many in (t − w, t)" and "latest before t". */
class Timeline {
  private readonly times = new Map<string, number[]>();

  add(key: string, t: number): void {
    const list = this.times.get(key);
    if (list) list.push(t);
    else this.times.set(key, [t]);
  }

  seal(): void {
    for (const list of this.times.values()) list.sort((a, b) => a - b);
  }

  /** Entries with from < time < to. */
  countBetween(key: string, from: number, to: number): number {
    const list = this.times.get(key);
    if (!list) return 0;
    return lowerBound(list, to) - upperBound(list, from);
  }

  latestBefore(key: string, t: number): number | undefined {
    const list = this.times.get(key);
    if (!list) return undefined;
    const i = lowerBound(list, t);
    return i > 0 ? list[i - 1] : undefined;
  }
}

/** First index with list[i] >= x. */
function lowerBound(list: number[], x: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with list[i] > x. */
function upperBound(list: number[], x: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** History counts for many incidents at once, from their start times (training export). */
export class HistoryIndex {
  private readonly byAlertname = new Timeline();
  private readonly byLabels = new Timeline();

  constructor(rows: Iterable<{ alertname: string; labels: Record<string, string>; startedAt: number }>) {
    for (const r of rows) {
      this.byAlertname.add(r.alertname, r.startedAt);
      this.byLabels.add(labelsKey(r.labels), r.startedAt);
    }
    this.byAlertname.seal();
    this.byLabels.seal();
  }

  historyAt(alertname: string, labels: Record<string, string>, t: number): IncidentHistory {
    const last = this.byAlertname.latestBefore(alertname, t);
    return {
      sameAlertname1h: this.byAlertname.countBetween(alertname, t - HOUR_MS, t),
      sameAlertname24h: this.byAlertname.countBetween(alertname, t - DAY_MS, t),
      flaps24h: this.byLabels.countBetween(labelsKey(labels), t - DAY_MS, t),
      secondsSinceLastSameAlertname: last !== undefined && t - last <= RECONSTRUCT_LOOKBACK_MS ? (t - last) / 1000 : null,
    };
  }
}
