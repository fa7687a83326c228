import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { envSchema } from '../../src/config/env';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { startKlaxon } from '../../src/runtime';
import { prebuiltWorkflowBundle } from '../../src/temporal/bundle';
import { IngestService } from '../../src/ingest/ingest';
import { startBenchReceiver } from './receiver';
import { payloadFactory } from './payloads';
import { runClosedLoop } from './load';
import { cpuDelta, cpuSnapshot } from './cpu';

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
  const env = envSchema.parse({ PORT: '0', HOST: '127.0.0.1', KLAXON_DATA_DIR: mkdtempSync(join(tmpdir(), 'scratch-')), TEMPORAL_PORT: '0', TEMPORAL_UI_PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: process.env.DATABASE_URL, TEMPORAL_ADDRESS: process.env.BENCH_TEMPORAL_ADDRESS });
  const klaxon = await startKlaxon({ env, config: parsed.config, workflowBundle: await prebuiltWorkflowBundle(join(tmpdir(), 'klaxon-bench-cache')), log: createLogger({ level: 'warn' }) });
  const http = new Pool(klaxon.url, { connections: 16 });
  const post = async (body: string) => { const r = await http.request({ path: '/webhook/bench', method: 'POST', headers: { authorization: 'Bearer tok-tok-tok', 'content-type': 'application/json' }, body }); await r.body.text(); if (r.statusCode !== 202) throw new Error(String(r.statusCode)); };
  const direct = new IngestService(klaxon.client, env.KLAXON_TASK_QUEUE);
  const tenant = klaxon.config.tenant('bench')!;
  const n = Number(process.env.N ?? 300);
  let total = 0;
  const modes = (process.env.MODES ?? 'warm,http,direct,http,direct').split(',');
  for (const [k, mode] of modes.entries()) {
    const f = payloadFactory(`r${k}`);
    const bodies = Array.from({ length: n }, (_, i) => JSON.stringify(f.make(i)));
    const c0 = cpuSnapshot();
    const r = await runClosedLoop(n, 16, (i) => (mode === 'direct' ? direct.ingest('bench', tenant, JSON.parse(bodies[i])) : post(bodies[i])));
    const cpu = cpuDelta(c0, cpuSnapshot());
    const t0 = performance.now();
    total += n;
    await receiver.waitFor(total, 200_000);
    console.log(mode, (r.ok * 1000 / r.elapsedMs).toFixed(1), '/s; drain', ((performance.now() - t0) / 1000).toFixed(1), 's;', cpu.slice(0, 5).map((x) => `${x.who} ${x.cores.toFixed(2)}`).join(', '));
    await new Promise((res) => setTimeout(res, 2000));
  }
  await http.close(); await klaxon.stop(); await receiver.close();
}
main();
