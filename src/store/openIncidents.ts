import { auditStoreUp, incidentsOpen, onScrape } from '../metrics';
import type { Logger } from '../logger';
import type { Queryable } from './lanes';

export interface OpenCount {
  tenant: string;
  severity: string;
  status: string;
  count: number;
}

/** Open incidents by tenant, severity and status, as the audit store has them (one tenant's, or all). */
export async function countOpenIncidents(pool: Queryable, tenant?: string): Promise<OpenCount[]> {
  const r = await pool.query<{ tenant: string; severity: string; status: string; n: string }>(
    `SELECT tenant, severity, status, count(*) AS n FROM incidents WHERE status <> 'resolved' AND ($1::text IS NULL OR tenant = $1)
      GROUP BY tenant, severity, status`,
    [tenant ?? null],
  );
  return r.rows.map((row) => ({ tenant: row.tenant, severity: row.severity, status: row.status, count: Number(row.n) }));
}

/**
 * Fills klaxon_incidents_open from the store when Prometheus scrapes, at most once per `cacheMs`
 * (several Prometheus servers, or a 1 s test scrape, must not turn into a query each). A label set
 * seen before and now without incidents reads 0 rather than vanishing, so "open went to zero" is a
 * value in Prometheus, not a gap. While the store does not answer the last values stay and
 * klaxon_audit_store_up says 0. Returns the unregister function.
 */
export function collectOpenIncidents(pool: Queryable, log: Logger, opts: { cacheMs?: number; timeoutMs?: number } = {}): () => void {
  const cacheMs = opts.cacheMs ?? 5000;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const seen = new Map<string, { tenant: string; severity: string; status: string }>();
  let readAt = 0;
  let inFlight: Promise<void> | undefined;
  let lastFailureLog = 0;

  const read = async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const rows = await Promise.race([
        countOpenIncidents(pool),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
      ]);
      const now = new Map(rows.map((r) => [`${r.tenant}\u0000${r.severity}\u0000${r.status}`, r]));
      for (const [key, labels] of seen) if (!now.has(key)) incidentsOpen.set(labels, 0);
      for (const [key, r] of now) {
        const labels = { tenant: r.tenant, severity: r.severity, status: r.status };
        seen.set(key, labels);
        incidentsOpen.set(labels, r.count);
      }
      auditStoreUp().set(1);
      readAt = Date.now();
    } catch (err) {
      auditStoreUp().set(0);
      // Once a minute: Prometheus may scrape every second while the store is down.
      if (Date.now() - lastFailureLog > 60_000) {
        lastFailureLog = Date.now();
        log.warn({ err: (err as Error).message }, 'could not count open incidents for /metrics');
      }
    } finally {
      clearTimeout(timer);
    }
  };

  onScrape('klaxon_incidents_open', () => {
    if (Date.now() - readAt < cacheMs) return;
    inFlight ??= read().finally(() => (inFlight = undefined));
    return inFlight;
  });
  return () => onScrape('klaxon_incidents_open', undefined);
}
