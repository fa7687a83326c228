import {
  extractFeatures,
  FEATURE_DIM,
  FEATURE_NAMES,
  FEATURE_VERSION,
  fnv1a32,
  hashSlot,
  HASH_BUCKETS,
  type IncidentFeatureInput,
} from '../../../models/features';

const slot = (name: string): number => {
  const i = FEATURE_NAMES.indexOf(name);
  if (i < 0) throw new Error(`no feature ${name}`);
  return i;
};

function incident(overrides: Partial<IncidentFeatureInput> = {}): IncidentFeatureInput {
  return {
    // Saturday 2024-06-01 06:00:00 UTC.
    at: new Date('2024-06-01T06:00:00Z'),
    alerts: [
      {
        labels: { alertname: 'HighLatency', service: 'api', severity: 'critical', instance: 'a:9090' },
        annotations: { summary: 'p99 latency above 2s', runbook_url: 'https://runbooks/latency' },
        status: 'firing',
        startsAt: '2024-06-01T05:59:00Z',
      },
      {
        labels: { alertname: 'HighLatency', service: 'api', severity: 'critical', instance: 'b:9090' },
        annotations: { summary: 'short' },
        status: 'resolved',
        startsAt: '2024-06-01T05:50:00Z',
      },
    ],
    history: { sameAlertname1h: 3, sameAlertname24h: 10, flaps24h: 0, secondsSinceLastSameAlertname: 600 },
    ...overrides,
  };
}

describe('feature extractor', () => {
  it('has one name per slot and a version', () => {
    expect(FEATURE_VERSION).toBe(1);
    expect(FEATURE_NAMES).toHaveLength(FEATURE_DIM);
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_DIM);
    expect(extractFeatures(incident())).toHaveLength(FEATURE_DIM);
  });

  it('uses the standard FNV-1a 32-bit hash over UTF-8', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    // "é" is two UTF-8 bytes (0xc3 0xa9), not one UTF-16 unit.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    expect(fnv1a32('é')).toBe(h);
  });

  it('hashes each label key to total weight 1, signed, split across distinct values', () => {
    const v = extractFeatures(incident());
    const expected = new Float64Array(HASH_BUCKETS);
    const add = (k: string, val: string, w: number) => {
      const { bucket, sign } = hashSlot(k, val);
      expected[bucket] += sign * w;
    };
    add('alertname', 'HighLatency', 1);
    add('service', 'api', 1);
    add('severity', 'critical', 1);
    add('instance', 'a:9090', 0.5);
    add('instance', 'b:9090', 0.5);
    for (let i = 0; i < HASH_BUCKETS; i++) expect(v[i]).toBeCloseTo(expected[i], 6);
    // A label outside the hashed set does not change the hashed slots.
    const extra = incident();
    extra.alerts[0].labels.team = 'sre';
    expect(Array.from(extractFeatures(extra).subarray(0, HASH_BUCKETS))).toEqual(Array.from(v.subarray(0, HASH_BUCKETS)));
  });

  it('encodes time of day and day of week cyclically (UTC, or shifted by a zone offset)', () => {
    const v = extractFeatures(incident());
    expect(v[slot('tod_sin')]).toBeCloseTo(1, 6); // 06:00 is a quarter of the day
    expect(v[slot('tod_cos')]).toBeCloseTo(0, 6);
    expect(v[slot('dow_sin')]).toBeCloseTo(Math.sin((2 * Math.PI * 6) / 7), 6); // Saturday
    const shifted = extractFeatures(incident(), { tzOffsetMinutes: 18 * 60 }); // 00:00 Sunday local
    expect(shifted[slot('tod_sin')]).toBeCloseTo(0, 6);
    expect(shifted[slot('tod_cos')]).toBeCloseTo(1, 6);
    expect(shifted[slot('dow_sin')]).toBeCloseTo(0, 6);
    expect(shifted[slot('dow_cos')]).toBeCloseTo(1, 6);
  });

  it('fills group, history, runbook and summary slots', () => {
    const v = extractFeatures(incident());
    expect(v[slot('group_size_log1p')]).toBeCloseTo(Math.log1p(2), 6);
    expect(v[slot('firing_fraction')]).toBeCloseTo(0.5, 6);
    expect(v[slot('distinct_alertnames_log1p')]).toBeCloseTo(Math.log1p(1), 6);
    expect(v[slot('age_log1p')]).toBeCloseTo(Math.log1p(600), 5);
    expect(v[slot('same_alertname_1h_log1p')]).toBeCloseTo(Math.log1p(3), 6);
    expect(v[slot('same_alertname_24h_log1p')]).toBeCloseTo(Math.log1p(10), 6);
    expect(v[slot('flaps_24h_log1p')]).toBe(0);
    expect(v[slot('since_last_log1p')]).toBeCloseTo(Math.log1p(600), 5);
    expect(v[slot('never_seen')]).toBe(0);
    expect(v[slot('has_runbook_url')]).toBe(1);
    expect(v[slot('summary_len_log1p')]).toBeCloseTo(Math.log1p('p99 latency above 2s'.length), 6);
    expect(v[slot('label_count_log1p')]).toBeCloseTo(Math.log1p(4), 6);
  });

  it('marks a never-seen alertname and a missing runbook', () => {
    const base = incident();
    const v = extractFeatures({
      ...base,
      alerts: base.alerts.map((a) => ({ ...a, annotations: {} })),
      history: { ...base.history, secondsSinceLastSameAlertname: null },
    });
    expect(v[slot('never_seen')]).toBe(1);
    expect(v[slot('since_last_log1p')]).toBe(0);
    expect(v[slot('has_runbook_url')]).toBe(0);
    expect(v[slot('summary_len_log1p')]).toBe(0);
  });

  it('does not depend on alert order and rejects invalid history', () => {
    const a = incident();
    const b = incident({ alerts: [...a.alerts].reverse() });
    expect(Array.from(extractFeatures(b))).toEqual(Array.from(extractFeatures(a)));
    expect(() => extractFeatures(incident({ history: { ...a.history, flaps24h: -1 } }))).toThrow(/flaps24h/);
    expect(() => extractFeatures(incident({ at: new Date('nope') }))).toThrow(/not a valid date/);
  });
});
