import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/temporal/devServer';
import { startDaemon } from './daemon';

const run = promisify(execFile);
export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';
export const AMTOOL_BIN = process.env.AMTOOL_BIN ?? '/usr/bin/amtool';

/**
 * A real Alertmanager (Debian's prometheus-alertmanager) sending its webhook to `webhookUrl` with a
 * bearer token, with short group timers so tests see notifications within seconds.
 */
export async function startAlertmanager(opts: { webhookUrl: string; token: string; groupBy?: string[] }) {
  const dir = mkdtempSync(join(tmpdir(), 'klaxon-am-'));
  const port = await freePort();
  const config = `
route:
  receiver: klaxon
  group_by: [${(opts.groupBy ?? ['alertname', 'service']).map((l) => `'${l}'`).join(', ')}]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: klaxon
    webhook_configs:
      - url: '${opts.webhookUrl}'
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization:
            type: Bearer
            credentials: '${opts.token}'
`;
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon(
    'alertmanager',
    ALERTMANAGER_BIN,
    [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    `${url}/-/ready`,
  );
  return {
    url,
    /** `amtool alert add` with labels; `end` in the past resolves the alert. */
    async addAlert(labels: Record<string, string>, annotations: Record<string, string> = {}, end?: Date) {
      const args = ['alert', 'add', `--alertmanager.url=${url}`];
      for (const [k, v] of Object.entries(annotations)) args.push(`--annotation=${k}=${v}`);
      if (end) args.push(`--end=${end.toISOString()}`);
      args.push(...Object.entries(labels).map(([k, v]) => `${k}=${v}`));
      await run(AMTOOL_BIN, args);
    },
    stop: daemon.stop,
  };
}
