import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/store/db';

/**
 * Postgres dropping a connection while a store holds it (a transaction in progress) fails that
 * work; it must not crash the process, which holds every running page (issue #8, scenario 10).
 */
/** Postgres's own failure (a killed backend): the run's DATABASE_URL, else the local one CI uses. */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('a lost database connection', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ url: DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'klaxon-loss-')) });
  });
  afterAll(async () => db?.close());

  test('a checked-out client whose backend is killed fails its work; nothing is thrown at the process and the pool serves the next query', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.prependListener('uncaughtException', onUncaught);
    try {
      const client = await db.pool.connect();
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await client.query('BEGIN');
      await db.urgent.query('SELECT pg_terminate_backend($1)', [pid]);
      // The client learns of it from the socket, before and outside any query of its own.
      await new Promise((r) => setTimeout(r, 300));
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release(true);
      expect(uncaught).toEqual([]);
      expect((await db.pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });
});
