import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/temporal/devServer';
import { startDaemon } from './daemon';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/**
 * A real Prometheus (Debian's `prometheus` package) on a free port with its own storage, scraping
 * `targets` (`host:port`, serving `/metrics`, with labels of their own if given) every second, so a changed gauge shows in queries
 * within about two seconds.
 */
export async function startPrometheus(opts: { targets: Array<string | { address: string; labels: Record<string, string> }> }) {
  const dir = mkdtempSync(join(tmpdir(), 'klaxon-prom-'));
  const port = await freePort();
  const config = `
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: test
    static_configs:
${opts.targets.map((t) => (typeof t === 'string' ? `      - targets: ['${t}']` : `      - targets: ['${t.address}']\n        labels: ${JSON.stringify(t.labels)}`)).join('\n')}
`;
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon(
    'prometheus',
    PROMETHEUS_BIN,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    `${url}/-/ready`,
    30_000,
  );
  return { url, stop: daemon.stop };
}
