/**
 * Incident → fixed-length feature vector for the anomaly models.
 *
 * Bump FEATURE_VERSION whenever a slot's meaning changes: trained weights are only valid for the
 * feature version they were trained on (the model registry keys weights by it).
 *
 * Slots (FEATURE_VERSION 1, 32 floats):
 *   0-15  hash_00..hash_15         signed feature hashing of the label values alertname, service,
 *                                  severity, job, instance: FNV-1a-32 of the UTF-8 "key=value" picks
 *                                  bucket h mod 16 and sign (+1 / -1 from bit 31); a key whose alerts
 *                                  carry k distinct values adds sign/k per value, so each key
 *                                  contributes total weight 1 whatever the group size
 *   16    tod_sin                  sin(2π · time of day / 24h) at `at` (UTC + tzOffsetMinutes)
 *   17    tod_cos                  cos(2π · time of day / 24h)
 *   18    dow_sin                  sin(2π · day of week / 7), Sunday = 0
 *   19    dow_cos                  cos(2π · day of week / 7)
 *   20    group_size_log1p         ln(1 + number of alerts in the incident)
 *   21    firing_fraction          fraction of the alerts with status "firing"
 *   22    distinct_alertnames_log1p ln(1 + number of distinct alertname values)
 *   23    age_log1p                ln(1 + seconds from the earliest parseable startsAt to `at`, ≥ 0)
 *   24    same_alertname_1h_log1p  ln(1 + history.sameAlertname1h)
 *   25    same_alertname_24h_log1p ln(1 + history.sameAlertname24h)
 *   26    flaps_24h_log1p          ln(1 + history.flaps24h)
 *   27    since_last_log1p         ln(1 + history.secondsSinceLastSameAlertname), 0 when null
 *   28    never_seen               1 when secondsSinceLastSameAlertname is null (disambiguates 27)
 *   29    has_runbook_url          1 when any alert has a non-empty runbook_url annotation
 *   30    summary_len_log1p        ln(1 + longest summary annotation length in characters)
 *   31    label_count_log1p        ln(1 + mean number of labels per alert)
 */

export const FEATURE_VERSION = 1;

/** Number of hashing-trick buckets (slots 0-15). */
export const HASH_BUCKETS = 16;

/** Label keys whose values are hashed into slots 0-15. */
export const HASHED_LABELS = ['alertname', 'service', 'severity', 'job', 'instance'] as const;

export interface IncidentAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: 'firing' | 'resolved';
  startsAt: string;
}

export interface IncidentHistory {
  sameAlertname1h: number;
  sameAlertname24h: number;
  flaps24h: number;
  secondsSinceLastSameAlertname: number | null;
}

export interface IncidentFeatureInput {
  alerts: IncidentAlert[];
  at: Date;
  history: IncidentHistory;
}

export interface FeatureOptions {
  /** Offset from UTC in minutes for the time-of-day / day-of-week slots (e.g. 60 for CET). Default 0. */
  tzOffsetMinutes?: number;
}

export const FEATURE_NAMES: readonly string[] = Object.freeze([
  ...Array.from({ length: HASH_BUCKETS }, (_, i) => `hash_${String(i).padStart(2, '0')}`),
  'tod_sin',
  'tod_cos',
  'dow_sin',
  'dow_cos',
  'group_size_log1p',
  'firing_fraction',
  'distinct_alertnames_log1p',
  'age_log1p',
  'same_alertname_1h_log1p',
  'same_alertname_24h_log1p',
  'flaps_24h_log1p',
  'since_last_log1p',
  'never_seen',
  'has_runbook_url',
  'summary_len_log1p',
  'label_count_log1p',
]);

export const FEATURE_DIM = FEATURE_NAMES.length;

/** FNV-1a, 32 bit, over the UTF-8 bytes of `s` (deterministic across platforms and runs). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  const byte = (b: number): void => {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  };
  for (let i = 0; i < s.length; i++) {
    let cp = s.codePointAt(i)!;
    if (cp > 0xffff) i++; // surrogate pair consumed
    else if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate: encode as U+FFFD like TextEncoder
    if (cp < 0x80) byte(cp);
    else if (cp < 0x800) {
      byte(0xc0 | (cp >> 6));
      byte(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      byte(0xe0 | (cp >> 12));
      byte(0x80 | ((cp >> 6) & 0x3f));
      byte(0x80 | (cp & 0x3f));
    } else {
      byte(0xf0 | (cp >> 18));
      byte(0x80 | ((cp >> 12) & 0x3f));
      byte(0x80 | ((cp >> 6) & 0x3f));
      byte(0x80 | (cp & 0x3f));
    }
  }
  return h >>> 0;
}

/** Bucket and sign of one hashed "key=value". */
export function hashSlot(key: string, value: string): { bucket: number; sign: 1 | -1 } {
  const h = fnv1a32(`${key}=${value}`);
  return { bucket: h % HASH_BUCKETS, sign: h >>> 31 ? -1 : 1 };
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`history.${name} must be a finite number >= 0, got ${v}`);
  return v;
}

/** Extract the FEATURE_VERSION 1 vector (length FEATURE_DIM). */
export function extractFeatures(input: IncidentFeatureInput, options: FeatureOptions = {}): Float32Array {
  const { alerts, at, history } = input;
  const atMs = at.getTime();
  if (!Number.isFinite(atMs)) throw new RangeError('incident `at` is not a valid date');
  const out = new Float32Array(FEATURE_DIM);

  for (const key of HASHED_LABELS) {
    const values = new Set<string>();
    for (const a of alerts) {
      const v = a.labels[key];
      if (v !== undefined) values.add(v);
    }
    for (const v of values) {
      const { bucket, sign } = hashSlot(key, v);
      out[bucket] += sign / values.size;
    }
  }

  const local = new Date(atMs + (options.tzOffsetMinutes ?? 0) * 60_000);
  const dayFraction = (local.getUTCHours() * 3600 + local.getUTCMinutes() * 60 + local.getUTCSeconds()) / 86400;
  const dow = local.getUTCDay();
  out[16] = Math.sin(2 * Math.PI * dayFraction);
  out[17] = Math.cos(2 * Math.PI * dayFraction);
  out[18] = Math.sin((2 * Math.PI * dow) / 7);
  out[19] = Math.cos((2 * Math.PI * dow) / 7);

  const n = alerts.length;
  out[20] = Math.log1p(n);
  out[21] = n > 0 ? alerts.filter((a) => a.status === 'firing').length / n : 0;
  out[22] = Math.log1p(new Set(alerts.map((a) => a.labels.alertname).filter((v) => v !== undefined)).size);

  // Unparseable startsAt values are skipped rather than failing the whole incident.
  let earliest = Infinity;
  for (const a of alerts) {
    const t = Date.parse(a.startsAt);
    if (Number.isFinite(t) && t < earliest) earliest = t;
  }
  out[23] = Number.isFinite(earliest) ? Math.log1p(Math.max(0, (atMs - earliest) / 1000)) : 0;

  out[24] = Math.log1p(nonNegative('sameAlertname1h', history.sameAlertname1h));
  out[25] = Math.log1p(nonNegative('sameAlertname24h', history.sameAlertname24h));
  out[26] = Math.log1p(nonNegative('flaps24h', history.flaps24h));
  const since = history.secondsSinceLastSameAlertname;
  out[27] = since === null ? 0 : Math.log1p(nonNegative('secondsSinceLastSameAlertname', since));
  out[28] = since === null ? 1 : 0;

  out[29] = alerts.some((a) => (a.annotations.runbook_url ?? '').trim() !== '') ? 1 : 0;
  out[30] = Math.log1p(alerts.reduce((m, a) => Math.max(m, (a.annotations.summary ?? '').length), 0));
  out[31] = n > 0 ? Math.log1p(alerts.reduce((s, a) => s + Object.keys(a.labels).length, 0) / n) : 0;
  return out;
}
