/**
 * Canonical JSON: the one byte form of an audit row that hashes are computed over. Object keys are
 * sorted (by UTF-16 code units, as JSON.stringify would write them in that order), no whitespace,
 * `undefined` members dropped (JSON and jsonb drop them too). jsonb reorders keys and Postgres
 * returns timestamps as Date, so the writer and the verifier must both normalise through here.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON: cannot encode a ${typeof value}`);
}

/** What a stored event row is, as far as its hash is concerned (everything but id and chain columns). */
export interface EventContent {
  tenant: string;
  incidentId: string;
  seq: number;
  at: string | Date;
  kind: string;
  actor: string;
  details: unknown;
  recordedAt: string | Date;
}

/**
 * The row's content in canonical form. Timestamps as ISO strings at millisecond precision (what a JS
 * Date holds, so a value read back from timestamptz compares equal); details as JSON would store
 * them (a round trip drops undefined and turns dates into strings).
 */
export function canonicalEvent(e: EventContent): string {
  return canonicalJson({
    tenant: e.tenant,
    incidentId: e.incidentId,
    seq: e.seq,
    at: new Date(e.at).toISOString(),
    kind: e.kind,
    actor: e.actor,
    details: JSON.parse(JSON.stringify(e.details ?? {})),
    recordedAt: new Date(e.recordedAt).toISOString(),
  });
}
