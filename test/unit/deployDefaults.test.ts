import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readEnv } from '../../src/config/env';
import { parseConfig } from '../../src/config/load';
import { projectRoot } from '../../src/paths';

/** What a deployment gets without saying anything (issue #10, hardened edge). */
describe('deployment defaults', () => {
  test('klaxon binds 127.0.0.1 unless HOST says otherwise; the image says 0.0.0.0', () => {
    expect(readEnv({}).HOST).toBe('127.0.0.1');
    expect(readEnv({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
    expect(readFileSync(join(projectRoot, 'Dockerfile'), 'utf8')).toMatch(/^ENV .*\bHOST=0\.0\.0\.0\b/m);
  });

  test('docker-compose publishes no Temporal port beyond the loopback interface', () => {
    const compose = parse(readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { ports?: string[]; image?: string }> };
    // The admin-tools containers are one-shot jobs (schema, namespace) that publish nothing.
    const temporalServices = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('temporalio/') && !s.image.startsWith('temporalio/admin-tools'));
    expect(temporalServices.map(([name]) => name).sort()).toEqual(['temporal', 'temporal-ui']);
    for (const [name, s] of temporalServices) {
      for (const p of s.ports ?? []) expect(`${name}: ${p}`).toMatch(new RegExp(`^${name}: 127\\.0\\.0\\.1:`));
    }
    // The gRPC frontend is not published at all.
    expect(compose.services.temporal.ports ?? []).toEqual([]);
  });

  test('every tenant gets an intake rate limit; a bad one names its path', () => {
    const yaml = (limit: string) => `tenants:\n  acme:\n    webhook: { token: "\${HOOK}"${limit} }\n    api: { token: "\${API}" }\n    defaultPolicy: p\n    escalationPolicies: { p: { steps: [{ wait: 1m }] } }\n`;
    const ok = parseConfig(yaml(''), { HOOK: 'h', API: 'a' });
    if (!ok.ok) throw new Error(JSON.stringify(ok.problems));
    expect(ok.config.tenants.acme.webhook.rateLimit).toEqual({ perSecond: 50, burst: 200 });
    const bad = parseConfig(yaml(', rateLimit: { perSecond: 0, burst: 2.5 }'), { HOOK: 'h', API: 'a' });
    expect(bad.ok).toBe(false);
    const text = JSON.stringify(!bad.ok && bad.problems);
    expect(text).toContain('tenants.acme.webhook.rateLimit.perSecond');
    expect(text).toContain('tenants.acme.webhook.rateLimit.burst');
  });
});
