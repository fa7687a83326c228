import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { envSchema } from '../../src/config/env';
import { ROLES } from '../../src/cli/roles';
import { projectRoot } from '../../src/paths';

type Service = { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string>; ports?: string[]; volumes?: string[]; secrets?: string[] };

/**
 * docker-compose.yml against the code it runs (no Docker engine here): every Klaxon command is a
 * real `klaxon start --role`, every variable one Klaxon reads (or a tenant secret the example
 * config references), every mounted file exists, Prometheus scrapes what the processes serve and
 * loads the rules, Alertmanager posts to Klaxon's webhook, and `docker-compose config` accepts it.
 */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service>; secrets?: Record<string, { file: string }> };
  const services = compose.services;
  const klaxon = Object.entries(services).filter(([, s]) => s.image === 'klaxon:local');
  const role = (s: Service) => s.command?.[s.command.indexOf('--role') + 1];
  const exampleSecrets = new Set([...readFileSync(join(projectRoot, 'config/tenants.example.yaml'), 'utf8').matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]));

  test('one HTTP process and two workers from one image, each started with a role the CLI knows', () => {
    expect(klaxon.map(([name, s]) => [name, role(s)])).toEqual([
      ['klaxon-http', 'http'],
      ['klaxon-worker-1', 'worker'],
      ['klaxon-worker-2', 'worker'],
    ]);
    for (const [, s] of klaxon) {
      expect(s.command!.slice(0, 3)).toEqual(['node', 'bin/klaxon.js', 'start']);
      expect(ROLES).toContain(role(s));
    }
    expect(klaxon.filter(([, s]) => s.build !== undefined)).toHaveLength(1);
    expect(services['klaxon-http'].ports).toEqual(['8080:8080']);
  });

  test("every Klaxon variable is one Klaxon reads, or a tenant secret the example config references; workers serve /metrics on METRICS_PORT", () => {
    const known = new Set(Object.keys(envSchema.shape));
    for (const [name, s] of klaxon) {
      const unknown = Object.keys(s.environment ?? {}).filter((k) => !known.has(k) && !exampleSecrets.has(k));
      expect({ name, unknown }).toEqual({ name, unknown: [] });
      expect(s.environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
      if (role(s) === 'worker') expect(s.environment!.METRICS_PORT).toMatch(/^\d+$/);
    }
    expect(services['klaxon-http'].environment!.HOST).toBe('0.0.0.0');
  });

  test('Temporal: its schema set up by its own tool (not the deprecated auto-setup image), no published gRPC port; the UI decodes through the codec server, on loopback', () => {
    expect(Object.values(services).map((s) => s.image ?? '').filter((i) => i.includes('auto-setup'))).toEqual([]);
    expect(services.temporal.image).toMatch(/^temporalio\/server:/);
    expect(services['temporal-schema'].command!.join('\n')).toMatch(/temporal-sql-tool --db temporal setup-schema/);
    expect(services.temporal.ports).toBeUndefined();
    expect(services['temporal-ui'].environment!.TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:8080/codec');
    for (const s of Object.values(services)) for (const p of s.ports ?? []) if (!p.startsWith('8080:')) expect(p).toMatch(/^127\.0\.0\.1:/);
  });

  test('every mounted file exists; Prometheus scrapes the HTTP process and both workers and loads the rules; Alertmanager posts to the webhook', () => {
    for (const s of Object.values(services)) {
      for (const v of s.volumes ?? []) {
        const host = v.split(':')[0];
        if (host.startsWith('./') && !host.startsWith('./config')) expect({ v, exists: existsSync(join(projectRoot, host)) }).toEqual({ v, exists: true });
      }
    }
    const prometheus = parse(readFileSync(join(projectRoot, 'deploy/prometheus/prometheus.yml'), 'utf8'));
    const targets = prometheus.scrape_configs.flatMap((c: { static_configs: Array<{ targets: string[] }> }) => c.static_configs.flatMap((x) => x.targets));
    const expected = klaxon.map(([name, s]) => `${name}:${role(s) === 'http' ? s.environment!.PORT : s.environment!.METRICS_PORT}`);
    expect(targets.sort()).toEqual(expected.sort());
    // promtool (Debian's prometheus package) checks the config and the rules it loads.
    execFileSync('promtool', ['check', 'config', join(projectRoot, 'deploy/prometheus/prometheus.yml')], { stdio: 'pipe' });
    const am = parse(readFileSync(join(projectRoot, 'deploy/alertmanager/alertmanager.yml'), 'utf8'));
    expect(am.receivers[0].webhook_configs[0].url).toMatch(/^http:\/\/klaxon-http:8080\/webhook\/[a-z0-9-]+$/);
    execFileSync('amtool', ['check-config', join(projectRoot, 'deploy/alertmanager/alertmanager.yml')], { stdio: 'pipe' });
  });

  test('docker-compose config accepts it', () => {
    const bin = ['docker-compose', 'docker'].find((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0);
    if (!bin) {
      // .ci/run installs Debian's docker-compose; elsewhere the check needs it too.
      throw new Error('docker-compose is not installed (apt-get install docker-compose; .ci/run does)');
    }
    const args = bin === 'docker' ? ['compose', 'config', '-q'] : ['config', '-q'];
    const r = spawnSync(bin, args, { cwd: projectRoot, env: { ...process.env, POSTGRES_PASSWORD: 'check' }, encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
