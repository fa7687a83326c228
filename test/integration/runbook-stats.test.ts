import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { RunbookStore } from '../../src/store/runbooks';
import { uniqueTenant } from '../support/klaxon';

/** `klaxon runbook stats` (issue #9): outcomes, success rate, time to resolve with and without a run. */
describe('runbook stats', () => {
  let db: Database;
  let store: RunbookStore;
  const tenant = uniqueTenant('stats');
  beforeAll(async () => {
    db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'klaxon-stats-')) });
    await migrate(db.pool);
    store = new RunbookStore(db.pool);
    // Incidents of ServiceDown: three with a restart run (two succeeded, resolved in 5 and 7 minutes;
    // one failed), two without any run (resolved in 30 and 50 minutes); one other alert name.
    const incident = (id: string, alertname: string, resolvedAfterMin: number | null) =>
      db.pool.query(
        `INSERT INTO incidents (id, tenant, workflow_id, run_id, group_key, title, alertname, severity, declared_severity, status, started_at, resolved_at)
         VALUES ($1, $2, $1, 'r', $1, 'T', $3, 'critical', 'critical', $4, now() - interval '2 hours', CASE WHEN $5::int IS NULL THEN NULL ELSE now() - interval '2 hours' + make_interval(mins => $5::int) END)`,
        [`${tenant}-${id}`, tenant, alertname, resolvedAfterMin === null ? 'firing' : 'resolved', resolvedAfterMin],
      );
    await incident('a', 'ServiceDown', 5);
    await incident('b', 'ServiceDown', 7);
    await incident('c', 'ServiceDown', 90);
    await incident('d', 'ServiceDown', 30);
    await incident('e', 'ServiceDown', 50);
    await incident('f', 'DiskFull', 1);
    for (const [id, outcome] of [['a', 'succeeded'], ['b', 'succeeded'], ['c', 'failed']] as const) {
      const runId = `runbook/${tenant}-${id}/restart-service/1`;
      await store.claim({ runId, tenant, incidentId: `${tenant}-${id}`, runbook: 'restart-service', mode: 'suggest', concurrencyKey: `service=${id}`, requestedBy: 'klaxon' });
      await store.end(runId, outcome);
    }
  });
  afterAll(async () => db?.close());

  test('per runbook: runs by outcome, success rate, and median time to resolve with a successful run vs without any', async () => {
    expect(await store.stats(tenant, 86_400_000)).toEqual([
      { runbook: 'restart-service', runs: 3, outcomes: { succeeded: 2, failed: 1 }, successRate: 2 / 3, medianResolveSeconds: { withRun: 360, withoutRun: 2400 } },
    ]);
    // A run counts once, however often its end is written (a retried activity).
    expect(await store.end(`runbook/${tenant}-a/restart-service/1`, 'failed')).toBeUndefined();
    expect((await store.stats(tenant, 86_400_000))[0].outcomes).toEqual({ succeeded: 2, failed: 1 });
  });
});
