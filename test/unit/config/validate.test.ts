import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load';
import { Secret } from '../../../src/config/secret';
import { parseDuration, formatDuration } from '../../../src/config/duration';
import { projectRoot } from '../../../src/paths';
import { generateSigningKey } from '../../../src/auth/keyring';

const run = promisify(execFile);

const valid = `
tenants:
  acme:
    webhook: { token: "\${ACME_TOKEN}" }
    api: { token: "\${ACME_API}" }
    users:
      alice: { name: Alice, email: alice@example.com }
    schedules:
      primary:
        timeZone: Europe/Berlin
        layers: [{ users: [alice], rotation: 1w, start: "2024-01-01" }]
    receivers:
      ops: { type: webhook, url: "\${OPS_URL}" }
    timeWindows:
      business: { timeZone: Europe/Berlin, days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00" }
    escalationPolicies:
      standard:
        steps:
          - notify: { receivers: [ops], schedules: [primary] }
          - wait: 15m
          - notifyIf: { window: business, notify: { users: [alice] } }
          - repeat: { from: 0, times: 2 }
    routes:
      - { matchers: ['severity=~"crit.*"'], policy: standard }
    defaultPolicy: standard
`;
const env = { ACME_TOKEN: 'tok-123456', ACME_API: 'api-123456', OPS_URL: 'https://hooks.example.com/abc' };

describe('tenant configuration', () => {
  test('a valid file parses; secrets become Secret objects that never print', () => {
    const r = parseConfig(valid, env);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const t = r.config.tenants.acme;
    expect(t.webhook.token).toBeInstanceOf(Secret);
    expect(t.webhook.token.reveal()).toBe('tok-123456');
    expect(JSON.stringify(r.config)).not.toContain('tok-123456');
    expect(String(t.webhook.token)).toBe('[redacted]');
    const step = t.escalationPolicies.standard.steps[1];
    expect('wait' in step && step.wait).toBe(15 * 60_000);
    // Defaults an on-call engineer expects.
    expect(t.groupBy).toBe('groupKey');
    expect(t.inhibitRules[0]).toMatchObject({ equal: ['alertname', 'service'] });
    expect(r.config.server.bodyLimitBytes).toBe(1024 * 1024);
  });

  test('every problem is reported with its path, not just the first', () => {
    const broken = valid
      .replace('"${ACME_TOKEN}"', '"hunter2-inline"')
      .replace('wait: 15m', 'wait: soon')
      .replace('receivers: [ops], schedules: [primary]', 'receivers: [ops, pager], schedules: [secondary]')
      .replace("severity=~\"crit.*\"", 'severity=~"(unclosed"')
      .replace('window: business', 'window: nights')
      .replace('users: [alice], rotation', 'users: [alice, bob], rotation')
      .replace('from: 0, times: 2', 'from: 5, times: 2');
    const r = parseConfig(broken, {});
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    expect(byPath['tenants.acme.webhook.token']).toMatch(/\$\{ENV_VAR\} reference, not written inline/);
    expect(byPath['tenants.acme.api.token']).toBe('env var ACME_API is not set (nor ACME_API_FILE)');
    expect(byPath['tenants.acme.escalationPolicies.standard.steps.1.wait']).toMatch(/not a duration/);
    // Schema errors come first; cross-references are checked once the shape is right.
    const fixedShape = parseConfig(broken.replace('"hunter2-inline"', '"${ACME_TOKEN}"').replace('wait: soon', 'wait: 15m'), env);
    const refs = fixedShape.ok ? {} : Object.fromEntries(fixedShape.problems.map((p) => [p.path, p.message]));
    expect(refs).toMatchObject({
      'tenants.acme.escalationPolicies.standard.steps.0.notify.receivers.1': 'unknown receiver "pager"',
      'tenants.acme.escalationPolicies.standard.steps.0.notify.schedules.0': 'unknown schedule "secondary"',
      'tenants.acme.escalationPolicies.standard.steps.2.notifyIf.window': 'unknown time window "nights"',
      'tenants.acme.escalationPolicies.standard.steps.3.repeat.from': 'must point to an earlier step (0..2)',
    });
    expect(refs['tenants.acme.routes.0.matchers.0']).toMatch(/bad regex/);
    expect(refs['tenants.acme.schedules.primary.layers.0.users.1']).toMatch(/unknown user "bob"/);
  });

  test('template overrides are compiled at validation: a broken template is a config error', () => {
    const r = parseConfig(valid.replace('    defaultPolicy: standard', '    defaultPolicy: standard\n    templates:\n      webhook.text: "{{#each alerts}}{{labels.alertname}"'), env);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.problems.map((p) => p.path)).toContain('tenants.acme.templates.webhook.text');
  });

  test('template overrides are rendered at validation against a sparse incident: a field the group may lack is a config error', () => {
    const r = parseConfig(valid.replace('    defaultPolicy: standard', '    defaultPolicy: standard\n    templates:\n      text: "{{incident.commonLabels.instance}} is down"'), env);
    expect(r.ok).toBe(false);
    const problem = r.ok ? undefined : r.problems.find((p) => p.path === 'tenants.acme.templates.text');
    expect(problem?.message).toMatch(/fails for a firing incident with only an alertname label.*instance/);
    // Guarded, it renders everywhere and passes.
    const ok = parseConfig(valid.replace('    defaultPolicy: standard', '    defaultPolicy: standard\n    templates:\n      text: "{{#if incident.commonLabels.instance}}{{incident.commonLabels.instance}}{{else}}{{incident.title}}{{/if}} is down"'), env);
    expect(ok.ok ? [] : ok.problems).toEqual([]);
  });

  test('durations are parsed once, in the units people write', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('15')).toBeUndefined();
    expect(parseDuration('-5m')).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe('1h30m');
  });

  test('klaxon validate prints every problem and exits 1, or a summary and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-validate-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(file, valid);
    const cli = (extraEnv: Record<string, string>) =>
      run(process.execPath, [join(projectRoot, 'bin', 'klaxon.js'), 'validate', file], { env: { PATH: process.env.PATH, ...extraEnv } });
    const failed = await cli({}).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('tenants.acme.webhook.token: env var ACME_TOKEN is not set');
    expect((failed as { stderr: string }).stderr).toContain('tenants.acme.receivers.ops.url: env var OPS_URL is not set');
    const ok = await cli(env);
    expect(ok.stdout).toMatch(/ok: 1 tenant\(s\)\n\s+acme: 1 receiver\(s\)/);
    // The secret values never appear in its output.
    expect(ok.stdout + ok.stderr).not.toContain('tok-123456');
  });

  test('runbooks: absent, the defaults (on, nothing allowed, 3 automatic runs an hour); present, every entry is checked', () => {
    const r = parseConfig(valid, env);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.tenants.acme.runbooks).toEqual({ enabled: true, http: { allowHosts: [] }, exec: { allow: [] }, maxAutoRunsPerHour: 3 });

    const block = (lines: string) => valid.replace('    defaultPolicy: standard', `    defaultPolicy: standard\n    runbooks:\n${lines}`);
    const good = parseConfig(
      block('      enabled: false\n      prometheusUrl: http://prometheus:9090\n      http: { allowHosts: [deploy.internal, "deploy.internal:8443", "[::1]:9093"] }\n      exec: { allow: [/usr/local/bin/restart-service] }\n'),
      env,
    );
    if (!good.ok) throw new Error(JSON.stringify(good.problems));
    expect(good.config.tenants.acme.runbooks).toMatchObject({ enabled: false, prometheusUrl: 'http://prometheus:9090', http: { allowHosts: ['deploy.internal', 'deploy.internal:8443', '[::1]:9093'] } });

    const bad = parseConfig(
      block('      alertmanagerUrl: ftp://am:9093\n      http: { allowHosts: ["https://deploy.internal/x"] }\n      exec: { allow: [restart-service] }\n      maxAutoRuns: 5\n'),
      env,
    );
    const byPath = bad.ok ? {} : Object.fromEntries(bad.problems.map((p) => [p.path, p.message]));
    expect(byPath['tenants.acme.runbooks.alertmanagerUrl']).toMatch(/http\(s\) URL/);
    expect(byPath['tenants.acme.runbooks.http.allowHosts.0']).toMatch(/a host or host:port, without scheme or path/);
    expect(byPath['tenants.acme.runbooks.exec.allow.0']).toMatch(/an absolute path/);
    expect(byPath['tenants.acme.runbooks']).toBe('Unrecognized key: "maxAutoRuns"');
  });

  test('heartbeats: durations parsed, grace 1m by default; an unknown policy, a bad matcher or a too short interval name their path', () => {
    const block = (lines: string) => valid.replace('    defaultPolicy: standard', `    defaultPolicy: standard\n    heartbeats:\n${lines}`);
    const good = parseConfig(block(`      watchdog: { interval: 5m, matchers: ['alertname="Watchdog"'] }\n      backup: { interval: 1d, grace: 2h, policy: standard, labels: { team: storage } }\n`), env);
    if (!good.ok) throw new Error(JSON.stringify(good.problems));
    expect(good.config.tenants.acme.heartbeats.watchdog).toEqual({ interval: 300_000, grace: 60_000, matchers: ['alertname="Watchdog"'], severity: 'critical', labels: {} });
    expect(good.config.tenants.acme.heartbeats.backup).toMatchObject({ interval: 86_400_000, grace: 7_200_000, policy: 'standard' });

    const bad = parseConfig(block(`      a: { interval: 5s, policy: nope }\n      b: { interval: 1h, matchers: ['alertname=~"("'] }\n      c: { interval: soon }\n`), env);
    const byPath = bad.ok ? {} : Object.fromEntries(bad.problems.map((p) => [p.path, p.message]));
    expect(byPath['tenants.acme.heartbeats.c.interval']).toMatch(/"soon" is not a duration/);
    const cross = parseConfig(block(`      a: { interval: 5s, policy: nope }\n      b: { interval: 1h, matchers: ['alertname=~"("'] }\n`), env);
    const crossByPath = cross.ok ? {} : Object.fromEntries(cross.problems.map((p) => [p.path, p.message]));
    expect(crossByPath['tenants.acme.heartbeats.a.policy']).toBe('unknown escalation policy "nope"');
    expect(crossByPath['tenants.acme.heartbeats.a.interval']).toBe('must be at least 10s');
    expect(Object.keys(crossByPath).some((k) => k.startsWith('tenants.acme.heartbeats.b.matchers'))).toBe(true);
  });

  test('personal notification rules: each rule needs its userChannels receiver and the contact the person has', () => {
    const withRules = (rules: string, channels = '') =>
      valid
        .replace('      alice: { name: Alice, email: alice@example.com }', `      alice: { name: Alice, email: alice@example.com, rules: ${rules} }`)
        .replace('    defaultPolicy: standard', `    defaultPolicy: standard${channels ? `\n    userChannels: ${channels}` : ''}`);
    const good = parseConfig(withRules('{ high: [{ via: email }, { after: 2m, via: email }] }', '{ email: ops }'), env);
    if (!good.ok) throw new Error(JSON.stringify(good.problems));
    expect(good.config.tenants.acme.users.alice.rules).toEqual({ high: [{ after: 0, via: 'email' }, { after: 120_000, via: 'email' }] });
    const bad = parseConfig(withRules('{ high: [{ via: sms }, { after: 1m, via: email }], low: [{ via: pager }] }', '{ sms: ops }'), env);
    const byPath = bad.ok ? {} : Object.fromEntries(bad.problems.map((p) => [p.path, p.message]));
    expect(byPath['tenants.acme.users.alice.rules.low.0.via']).toMatch(/expected one of|Invalid option/);
    const cross = parseConfig(withRules('{ high: [{ via: sms }, { after: 1m, via: email }] }', '{ sms: ops }'), env);
    const crossByPath = cross.ok ? {} : Object.fromEntries(cross.problems.map((p) => [p.path, p.message]));
    expect(crossByPath['tenants.acme.users.alice.rules.high.0.via']).toBe('alice has no phone to reach by sms');
    expect(crossByPath['tenants.acme.users.alice.rules.high.1.via']).toBe('no userChannels.email receiver is configured');
  });

  test('push rules: userChannels.push names an ntfy or pushover receiver, and the person has a push address it can use', () => {
    const withPush = (user: string, receivers: string, channel: string) =>
      valid
        .replace('      alice: { name: Alice, email: alice@example.com }', `      alice: { name: Alice, email: alice@example.com${user}, rules: { high: [{ via: push }, { after: 2m, via: email }] } }`)
        .replace('      ops: { type: webhook, url: "\${OPS_URL}" }', `      ops: { type: webhook, url: "\${OPS_URL}" }\n${receivers}`)
        .replace('    defaultPolicy: standard', `    defaultPolicy: standard\n    userChannels: { email: ops, push: ${channel} }`);
    const problems = (yaml: string) => {
      const r = parseConfig(yaml, env);
      return r.ok ? {} : Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
    };
    const ntfyRcv = '      phone-push: { type: ntfy, url: "https://ntfy.example.com", topic: oncall }';
    const pushoverRcv = '      phone-push: { type: pushover, token: "\${OPS_URL}", user: uQiRzpo4DXghDmr9QzzfQu27cmVRsG }';
    const good = parseConfig(withPush(', push: alice-x7k2', ntfyRcv, 'phone-push'), env);
    if (!good.ok) throw new Error(JSON.stringify(good.problems));
    expect(good.config.tenants.acme.users.alice.push).toBe('alice-x7k2');
    const rule = 'tenants.acme.users.alice.rules.high.0.via';
    expect(problems(withPush('', ntfyRcv, 'phone-push'))[rule]).toBe('alice has no push address (an ntfy topic or Pushover user key) to reach by push');
    expect(problems(withPush(', push: alice-x7k2', pushoverRcv, 'phone-push'))[rule]).toBe("alice's push is not a Pushover user key (30 letters and digits)");
    expect(problems(withPush(', push: u1Q2iRzpo4DXghDmr9QzzfQu27cmVR', pushoverRcv, 'phone-push'))).toEqual({});
    expect(problems(withPush(', push: alice-x7k2', ntfyRcv, 'ops'))['tenants.acme.userChannels.push']).toBe('receiver "ops" is webhook; push needs an ntfy or pushover receiver');
    expect(problems(withPush(', push: "alice topic"', ntfyRcv, 'phone-push'))['tenants.acme.users.alice.push']).toMatch(/an ntfy topic/);
  });

  test('the shipped example validates once its variables are set', async () => {
    const example = join(projectRoot, 'config', 'tenants.example.yaml');
    const { readFileSync } = await import('node:fs');
    const r = parseConfig(readFileSync(example, 'utf8'), { ACME_WEBHOOK_TOKEN: 'a', ACME_API_TOKEN: 'b', ACME_OPS_WEBHOOK_URL: 'http://x', ACME_OPS_WEBHOOK_SECRET: 's', KLAXON_TOKEN_KEY: generateSigningKey().pem });
    expect(r.ok ? [] : r.problems).toEqual([]);
  });
});
