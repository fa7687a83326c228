import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { IncidentStore } from '../../src/store/incidents';

async function main() {
  const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: mkdtempSync(join(tmpdir(), 'scratch-ol-')) });
  await migrate(db.pool);
  const store = new IncidentStore(db.pool);
  const tenant = `ol-${Date.now()}`;
  let inserted = 0;
  for (const target of [0, 100, 500, 1000, 2000]) {
    while (inserted < target) {
      const i = inserted++;
      const labels = { alertname: 'HighLatency', service: `svc-${i}`, severity: 'critical', job: `svc-${i}`, instance: `svc-${i}-1:9090` };
      await store.record({ id: `${tenant}-${i}`, tenant, workflowId: `wf-${i}`, runId: `r-${i}`, groupKey: `g-${i}`, title: 't', alertname: 'HighLatency', service: `svc-${i}`, severity: 'critical', declaredSeverity: 'critical', status: 'firing', commonLabels: labels, startedAt: new Date().toISOString() } as never, []);
    }
    const t0 = performance.now();
    for (let k = 0; k < 20; k++) await store.openLabels(tenant);
    console.log(`${target} open incidents: openLabels ${((performance.now() - t0) / 20).toFixed(2)} ms`);
  }
  await db.close();
}
main();
