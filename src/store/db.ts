import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from '../logger';
import { laneGate, type Queryable } from './lanes';

export interface Database {
  pool: Queryable;
  /**
   * For the notification ledger alone: a page's claim and its "sent" never queue behind audit
   * writes, on Postgres (its own few connections) or PGlite (first in line for the one session).
   */
  urgent: Queryable;
  /** Where it is, for logs: the URL without password, or the PGlite folder. */
  describe: string;
  /**
   * A connection of its own for LISTEN (src/store/endedFeed.ts); Postgres only: embedded PGlite
   * serves one session, which a listener would hold for good.
   */
  listener?: () => pg.Client;
  close(): Promise<void>;
}

function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres (unparseable DATABASE_URL)';
  }
}

/**
 * Postgres at DATABASE_URL, or embedded PGlite in dataDir served over the Postgres wire protocol
 * (pglite-socket), so both go through `pg` and there is one SQL code path.
 */
export async function openDatabase(opts: { url?: string; dataDir: string; log?: Logger }): Promise<Database> {
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: 10 });
    const urgent = new pg.Pool({ connectionString: opts.url, max: 3 });
    for (const p of [pool, urgent]) watchErrors(p, opts.log, 'postgres');
    const url = opts.url;
    return { pool, urgent, describe: withoutPassword(url), listener: () => new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 }), close: async () => void (await Promise.all([pool.end(), urgent.end()])) };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dir = join(opts.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  // One socket at a time is in use (the pool below holds one client); the second slot is for the
  // moment a dropped socket's replacement arrives before the server has noticed the drop, which
  // would otherwise be refused ("Too many connections") and fail that query.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 2 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  // PGlite has one session, whichever socket talks to it: one pooled client, shared by two lanes,
  // kept while idle (pg's default closes it after 10 s). A new socket (the old one dropped) starts
  // from a clean session: the old one's prepared statements would answer the audit chain's named
  // statements with "already exists" on every write, and its open transaction or locks would stay.
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    max: 1,
    idleTimeoutMillis: 0,
    onConnect: async (client) => {
      await client.query('ROLLBACK');
      await client.query('DISCARD ALL');
    },
  });
  watchErrors(pool, opts.log, 'pglite');
  const lanes = laneGate(pool);
  return {
    pool: lanes.normal,
    urgent: lanes.urgent,
    describe: `pglite:${dir}`,
    async close() {
      await pool.end();
      await server.stop();
      await db.close();
    },
  };
}

/**
 * A connection lost while a store holds its client (mid-transaction) is an 'error' event on that
 * client, which pg-pool only listens for while the client is idle: unheard, it would crash the
 * process and every page it holds. The work in progress fails on its own (its query rejects).
 */
function watchErrors(pool: pg.Pool, log: Logger | undefined, what: string): void {
  pool.on('error', (err) => log?.error({ err: err.message }, `${what} pool error`));
  pool.on('connect', (client) => client.on('error', (err) => log?.warn({ err: err.message }, `${what} connection lost`)));
}
