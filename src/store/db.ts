import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from '../logger';

export interface Database {
  pool: pg.Pool;
  /** Where it is, for logs: the URL without password, or the PGlite folder. */
  describe: string;
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
    pool.on('error', (err) => opts.log?.error({ err: err.message }, 'postgres pool error'));
    return { pool, describe: withoutPassword(opts.url), close: () => pool.end() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dir = join(opts.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  // PGlite is single-connection: one pooled client, requests queue in the pool.
  const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 1 });
  pool.on('error', (err) => opts.log?.error({ err: err.message }, 'pglite pool error'));
  return {
    pool,
    describe: `pglite:${dir}`,
    async close() {
      await pool.end();
      await server.stop();
      await db.close();
    },
  };
}
