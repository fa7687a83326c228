import type pg from 'pg';

/** What the stores need from a pool: queries, and a client for a transaction. */
export type Queryable = Pick<pg.Pool, 'query' | 'connect'>;
type Lane = 'urgent' | 'normal';

/**
 * One connection shared by two lanes, urgent work first. Embedded PGlite runs one session, so
 * every query waits its turn; in a storm the ledger's claim for a page must not wait behind
 * hundreds of audit writes (issue #8, "must not serialise a storm behind one connection"). The
 * gate lets one caller at a time into the pool; the urgent lane's waiters go before the normal
 * lane's (first come, first served within a lane). A transaction holds the gate until its client
 * is released.
 */
export function laneGate(pool: pg.Pool): Record<Lane, Queryable> {
  const waiting: Record<Lane, Array<() => void>> = { urgent: [], normal: [] };
  let busy = false;
  const acquire = (lane: Lane) =>
    new Promise<void>((resolve) => {
      if (busy) waiting[lane].push(resolve);
      else {
        busy = true;
        resolve();
      }
    });
  const release = () => {
    const next = waiting.urgent.shift() ?? waiting.normal.shift();
    if (next) next();
    else busy = false;
  };
  const lane = (name: Lane): Queryable => ({
    query: (async (...args: unknown[]) => {
      await acquire(name);
      try {
        return await (pool.query as (...a: unknown[]) => Promise<unknown>).apply(pool, args);
      } finally {
        release();
      }
    }) as pg.Pool['query'],
    connect: (async () => {
      await acquire(name);
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        release();
        throw err;
      }
      // pg-pool sets a fresh release() on every checkout, so wrapping this one is safe.
      const done = client.release.bind(client);
      let released = false;
      client.release = (err?: Error | boolean) => {
        if (released) return done(err);
        released = true;
        done(err);
        release();
      };
      return client;
    }) as pg.Pool['connect'],
  });
  return { urgent: lane('urgent'), normal: lane('normal') };
}
