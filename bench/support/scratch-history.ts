import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { envSchema } from '../../src/config/env';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { startKlaxon } from '../../src/runtime';
import { prebuiltWorkflowBundle } from '../../src/temporal/bundle';
import { startBenchReceiver } from './receiver';
import { payloadFactory } from './payloads';

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const receiver = await startBenchReceiver();
  const yaml = `
tenants:
  bench:
    webhook: { token: "\${T1}" }
    api: { token: "\${T2}" }
    receivers:
      hook: { type: webhook, url: "\${U}" }
    escalationPolicies:
      page: { steps: [ { notify: { receivers: [hook] } } ] }
    defaultPolicy: page
`;
  const parsed = parseConfig(yaml, { T1: 'tok-tok-tok', T2: 'api-api-api', U: `${receiver.url}/hook` });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const env = envSchema.parse({ PORT: '0', HOST: '127.0.0.1', KLAXON_DATA_DIR: mkdtempSync(join(tmpdir(), 'scratch-')), TEMPORAL_PORT: '0', TEMPORAL_UI_PORT: '0', LOG_LEVEL: 'warn' });
  const klaxon = await startKlaxon({ env, config: parsed.config, workflowBundle: await prebuiltWorkflowBundle(join(tmpdir(), 'klaxon-bench-cache')), log: createLogger({ level: 'warn' }) });
  let queries = 0;
  const orig = klaxon.db.pool.query.bind(klaxon.db.pool);
  const texts: string[] = [];
  (klaxon.db.pool as any).query = (...a: any[]) => { queries++; texts.push(String(a[0]).slice(0, 60).replace(/\s+/g, ' ')); return (orig as any)(...a); };
  const body = JSON.stringify(payloadFactory('x').make(0));
  const t0 = Date.now();
  const res = await fetch(`${klaxon.url}/webhook/bench`, { method: 'POST', headers: { authorization: 'Bearer tok-tok-tok', 'content-type': 'application/json' }, body });
  const j: any = await res.json();
  await receiver.waitFor(1, 20000);
  console.log('first notification after', Date.now() - t0, 'ms');
  await new Promise((r) => setTimeout(r, 1500));
  const h = await klaxon.client.workflow.getHandle(j.incidents[0].workflowId).fetchHistory();
  console.log('events', h.events!.length);
  for (const e of h.events!) {
    const type = Object.keys(e).find((k) => k.endsWith('Attributes') && (e as any)[k]);
    console.log(e.eventId?.toString(), new Date(Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6).toISOString().slice(17), type);
  }
  console.log('pglite queries', queries); console.log(texts.join('\n'));
  await klaxon.stop(); await receiver.close();
}
main();
