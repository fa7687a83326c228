import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ConfigStore } from '../../src/config/store';
import { createRunbookActivities } from '../../activities/runbook';
import type { StepScope } from '../../src/runbook/stepTypes';
import { startAlertmanager, AMTOOL_BIN } from '../support/alertmanager';
import { startPrometheus } from '../support/prometheus';
import { startReceiver, type Received } from '../support/receiver';
import { eventually, testConfig } from '../support/klaxon';
import { freePort } from '../../src/temporal/devServer';

/**
 * The activities behind runbook steps (issue #9) against a real Prometheus scraping a test
 * exporter, a real Alertmanager (checked with amtool), local HTTP endpoints and real commands.
 */

const run = promisify(execFile);
type Activities = ReturnType<typeof createRunbookActivities>;

/** A fresh mocked activity context per call (one that was cancelled stays cancelled). */
function activity<A, R>(fn: (a: A) => Promise<R>, args: A, env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') })): Promise<R> {
  return env.run(fn, args);
}

const scope = (tenant: string, n = 1): StepScope => ({ tenant, incidentId: 'inc-1', runId: `runbook/inc-1/restart-api/${n}` });

function tenantBlock(name: string, runbooks: string): string {
  return [
    `  ${name}:`,
    '    webhook: { token: "${HOOK}" }',
    '    api: { token: "${API}" }',
    '    receivers: { ops: { type: webhook, url: "${URL}" } }',
    '    escalationPolicies: { p: { steps: [{ notify: { receivers: [ops] } }] } }',
    '    defaultPolicy: p',
    ...(runbooks ? ['    runbooks:', ...runbooks.trim().split('\n').map((l) => `      ${l.trim()}`)] : []),
  ].join('\n');
}

describe('runbook step activities', () => {
  let gauge = 1.5;
  let exporter: Awaited<ReturnType<typeof startReceiver>>;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
  let alertmanager: Awaited<ReturnType<typeof startAlertmanager>>;
  let api: Awaited<ReturnType<typeof startReceiver>>;
  /** What the test endpoint answers next, by path. */
  let answers: Record<string, (r: Received) => { status: number; body?: string; headers?: Record<string, string> } | Promise<{ status: number; body?: string; headers?: Record<string, string> }>>;
  let acts: Activities;
  let deadPort: number;

  beforeAll(async () => {
    exporter = await startReceiver(() => ({
      status: 200,
      body: `# HELP klaxon_test_queue_depth Jobs waiting.\n# TYPE klaxon_test_queue_depth gauge\nklaxon_test_queue_depth{queue="mail"} ${gauge}\n`,
    }));
    api = await startReceiver((r) => (answers[r.path.split('?')[0]] ?? (() => ({ status: 404, body: 'no such path' })))(r));
    const exporterHost = new URL(exporter.url).host;
    [prometheus, alertmanager] = await Promise.all([
      startPrometheus({ targets: [exporterHost] }),
      startAlertmanager({ webhookUrl: `${exporter.url}/hook`, token: 'unused-token' }),
    ]);
    deadPort = await freePort();
    const yaml = [
      'tenants:',
      tenantBlock(
        'ops',
        `
        prometheusUrl: ${prometheus.url}
        alertmanagerUrl: ${alertmanager.url}
        http: { allowHosts: ["${new URL(api.url).host}"] }
        exec: { allow: [/bin/echo, /bin/sh] }`,
      ),
      // No runbooks block: the defaults (enabled, nothing allowed).
      tenantBlock('bare', ''),
      tenantBlock('deadprom', `prometheusUrl: http://127.0.0.1:${deadPort}`),
      tenantBlock(
        'off',
        `
        enabled: false
        prometheusUrl: ${prometheus.url}
        alertmanagerUrl: ${alertmanager.url}
        http: { allowHosts: ["${new URL(api.url).host}"] }
        exec: { allow: [/bin/echo] }`,
      ),
    ].join('\n');
    acts = createRunbookActivities({ config: new ConfigStore(testConfig(yaml, { HOOK: 'hook-token', API: 'api-token', URL: 'http://127.0.0.1:9/hook' })) });
  }, 60_000);

  beforeEach(() => {
    answers = {};
    api.received.length = 0;
  });

  afterAll(async () => {
    await Promise.all([prometheus?.stop(), alertmanager?.stop(), exporter?.close(), api?.close()]);
  });

  describe('promQuery (waitFor)', () => {
    test("returns the exporter's gauge as Prometheus scraped it, and its new value after a change", async () => {
      const query = 'klaxon_test_queue_depth{queue="mail"}';
      const first = await eventually(async () => {
        const r = await activity(acts.runbookPromQuery, { ...scope('ops'), query });
        return r.samples.length === 1 && r.samples[0].value === 1.5 && r;
      }, 20_000, 'the first scrape');
      expect(first.samples[0].labels).toMatchObject({ __name__: 'klaxon_test_queue_depth', queue: 'mail', job: 'test' });
      gauge = 42;
      await eventually(async () => (await activity(acts.runbookPromQuery, { ...scope('ops'), query })).samples[0]?.value === 42, 10_000, 'the changed gauge');
    });

    test('a scalar result is one sample without labels; NaN keeps its text (JSON would make it null)', async () => {
      expect(await activity(acts.runbookPromQuery, { ...scope('ops'), query: '1 + 2' })).toEqual({ samples: [{ labels: {}, value: 3 }] });
      const nan = await activity(acts.runbookPromQuery, { ...scope('ops'), query: '0 / 0' });
      expect(nan.samples).toHaveLength(1);
      expect(nan.samples[0].text).toBe('NaN');
      expect(JSON.parse(JSON.stringify(nan.samples[0])).value).toBeNull();
    });

    test("bad PromQL fails for good, with Prometheus' reason", async () => {
      await expect(activity(acts.runbookPromQuery, { ...scope('ops'), query: 'sum(rate(x[5m]' })).rejects.toMatchObject({
        type: 'PromQueryError',
        nonRetryable: true,
        message: expect.stringMatching(/Prometheus refused the query "sum\(rate\(x\[5m\]": .*parse error.*\(bad_data\)/),
      });
    });

    test('an unreachable Prometheus is worth a retry', async () => {
      await expect(activity(acts.runbookPromQuery, { ...scope('deadprom'), query: 'up' })).rejects.toMatchObject({
        type: 'RunbookStepUnavailable',
        nonRetryable: false,
        message: expect.stringContaining(`GET 127.0.0.1:${deadPort}/api/v1/query failed`),
      });
    });

    test("a step's own prometheusUrl must be on the allow-list; the tenant's own host passes without", async () => {
      await expect(activity(acts.runbookPromQuery, { ...scope('ops'), query: 'up', prometheusUrl: 'http://metrics.elsewhere:9090' })).rejects.toMatchObject({
        type: 'RunbookStepNotAllowed',
        nonRetryable: true,
        message: 'waitFor: host metrics.elsewhere:9090 is not allowed for tenant ops: add it to runbooks.http.allowHosts',
      });
      const r = await activity(acts.runbookPromQuery, { ...scope('ops'), query: 'vector(7)', prometheusUrl: `${prometheus.url}/` });
      expect(r.samples[0].value).toBe(7);
    });
  });

  describe('silence', () => {
    const silenceArgs = () => ({ ...scope('ops', 7), matchers: ['alertname="DiskFull"', 'instance=~"db-.*"'], durationMs: 10 * 60_000, comment: 'runbook test: disk cleanup' });
    const amSilences = async (...flags: string[]) => {
      const { stdout } = await run(AMTOOL_BIN, ['silence', 'query', `--alertmanager.url=${alertmanager.url}`, '-o', 'json', ...flags]);
      return JSON.parse(stdout) as Array<{ id: string; createdBy: string; comment: string; matchers: Array<{ name: string; value: string; isRegex: boolean }>; status: { state: string } }>;
    };
    let silenceId: string;

    test('is created in the real Alertmanager (amtool sees it), and a retried create makes no second one', async () => {
      const before = Date.now();
      const created = await activity(acts.runbookCreateSilence, silenceArgs());
      expect(Date.parse(created.endsAt) - before).toBeGreaterThanOrEqual(10 * 60_000 - 1000);
      silenceId = created.silenceId;

      const listed = await amSilences();
      const ours = listed.filter((s) => s.createdBy === 'klaxon runbook runbook/inc-1/restart-api/7');
      expect(ours).toHaveLength(1);
      expect(ours[0]).toMatchObject({ id: silenceId, comment: 'runbook test: disk cleanup', status: { state: 'active' } });
      expect(ours[0].matchers).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'alertname', value: 'DiskFull', isRegex: false }),
          expect.objectContaining({ name: 'instance', value: 'db-.*', isRegex: true }),
        ]),
      );

      // The same create again (Temporal retrying an attempt whose answer was lost).
      const retried = await activity(acts.runbookCreateSilence, silenceArgs());
      expect(retried.silenceId).toBe(silenceId);
      expect((await amSilences()).filter((s) => s.createdBy === 'klaxon runbook runbook/inc-1/restart-api/7')).toHaveLength(1);

      // Another run asking the same is its own silence: the lookup is per run.
      const other = await activity(acts.runbookCreateSilence, { ...silenceArgs(), runId: 'runbook/inc-2/restart-api/1' });
      expect(other.silenceId).not.toBe(silenceId);
      await activity(acts.runbookExpireSilence, { ...scope('ops'), silenceId: other.silenceId });
    });

    test('expire takes it out of the active silences; expiring it again (a retry) is no error', async () => {
      await activity(acts.runbookExpireSilence, { ...scope('ops', 7), silenceId });
      expect((await amSilences()).map((s) => s.id)).not.toContain(silenceId);
      const expired = (await amSilences('--expired')).find((s) => s.id === silenceId);
      expect(expired?.status.state).toBe('expired');
      await expect(activity(acts.runbookExpireSilence, { ...scope('ops', 7), silenceId })).resolves.toBeUndefined();
    });

    test('a matcher that does not parse, or an id Alertmanager does not know, fails for good', async () => {
      await expect(activity(acts.runbookCreateSilence, { ...silenceArgs(), matchers: ['alertname="X"', 'severity'] })).rejects.toMatchObject({
        type: 'RunbookStepInvalid',
        nonRetryable: true,
        message: expect.stringContaining('silence: matchers.1: "severity" is not a matcher'),
      });
      await expect(activity(acts.runbookExpireSilence, { ...scope('ops'), silenceId: '5a8e2a3c-0000-4000-8000-000000000000' })).rejects.toMatchObject({
        type: 'RunbookStepRejected',
        nonRetryable: true,
        message: expect.stringContaining('has no silence 5a8e2a3c-0000-4000-8000-000000000000'),
      });
    });
  });

  describe('http', () => {
    test('a host outside runbooks.http.allowHosts is refused (same address, other port too) and nothing is sent', async () => {
      for (const url of ['https://deploy.example.com/restart', `${alertmanager.url}/api/v2/status`]) {
        const host = new URL(url).host;
        await expect(activity(acts.runbookHttp, { ...scope('ops'), url })).rejects.toMatchObject({
          type: 'RunbookStepNotAllowed',
          nonRetryable: true,
          message: `http: host ${host} is not allowed for tenant ops: add it to runbooks.http.allowHosts`,
        });
      }
      expect(api.received).toHaveLength(0);
    });

    test('a 2xx JSON answer comes back parsed; a JSON body goes out as JSON with the headers', async () => {
      answers['/deploys'] = (r) => ({ status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'd-9', got: JSON.parse(r.body) }) });
      const r = await activity(acts.runbookHttp, { ...scope('ops'), url: `${api.url}/deploys?dry=0`, method: 'POST', headers: { authorization: 'Bearer tok-5f3a9c1e77' }, body: { service: 'api' } });
      expect(r).toEqual({ status: 201, body: expect.any(String), json: { id: 'd-9', got: { service: 'api' } } });
      expect(api.received[0]).toMatchObject({ method: 'POST', path: '/deploys?dry=0', headers: { authorization: 'Bearer tok-5f3a9c1e77', 'content-type': 'application/json' } });
    });

    test('a 503 is worth a retry no sooner than its Retry-After', async () => {
      answers['/flaky'] = () => ({ status: 503, headers: { 'retry-after': '7' }, body: 'maintenance' });
      await expect(activity(acts.runbookHttp, { ...scope('ops'), url: `${api.url}/flaky` })).rejects.toMatchObject({
        type: 'RunbookStepUnavailable',
        nonRetryable: false,
        nextRetryDelay: 7000,
        message: `GET ${new URL(api.url).host}/flaky answered 503: maintenance`,
      });
    });

    test('any other status fails for good with the status and the first 200 characters, never a header value', async () => {
      const secret = 'tok-5f3a9c1e77-very-secret';
      // The endpoint echoes the token back, as some do in their error pages.
      answers['/restart'] = (r) => ({ status: 403, body: `denied for ${String(r.headers['x-api-key'])} and ${String(r.headers.authorization)}. ${'x'.repeat(300)}END` });
      const err = await activity(acts.runbookHttp, { ...scope('ops'), url: `${api.url}/restart?token=q-secret-123`, method: 'POST', headers: { 'x-api-key': secret, authorization: `Bearer ${secret}-2` } }).then(
        () => new Error('expected the step to fail'),
        (e: Error) => e,
      );
      expect(err).toMatchObject({ type: 'RunbookStepRejected', nonRetryable: true, details: [{ status: 403 }] });
      expect(err.message).toMatch(new RegExp(`^POST ${new URL(api.url).host}/restart answered 403: denied for \\[redacted\\] and \\[redacted\\]\\. x+$`));
      expect(err.message).not.toContain(secret);
      expect(err.message).not.toContain('q-secret-123');
      expect(err.message).not.toContain('END');
      // A value fetch refuses to send (a newline in it): the error says so without the value.
      const malformed = await activity(acts.runbookHttp, { ...scope('ops'), url: `${api.url}/restart`, headers: { 'x-api-key': `${secret}\nx` } }).then(
        () => new Error('expected the step to fail'),
        (e: Error) => e,
      );
      expect(malformed).toMatchObject({ type: 'RunbookStepInvalid', nonRetryable: true, message: expect.stringContaining('invalid header value') });
      expect(malformed.message).not.toContain(secret);
      // A status the step expects is success, 2xx or not.
      answers['/probe'] = () => ({ status: 404, body: 'gone' });
      await expect(activity(acts.runbookHttp, { ...scope('ops'), url: `${api.url}/probe`, expectStatus: [404] })).resolves.toMatchObject({ status: 404, body: 'gone' });
    });

    test('a redirect is not followed (it would lead past the allow-list)', async () => {
      answers['/moved'] = () => ({ status: 302, headers: { location: 'http://elsewhere.example/x?sig=abc' } });
      await expect(activity(acts.runbookHttp, { ...scope('ops'), url: `${api.url}/moved` })).rejects.toMatchObject({
        type: 'RunbookStepRejected',
        message: expect.stringContaining('answered 302 (redirects are not followed; it points to http://elsewhere.example/x)'),
      });
      expect(api.received).toHaveLength(1);
    });

    test('an answer slower than the timeout fails retryably, after the timeout and not much later', async () => {
      answers['/slow'] = () => new Promise((r) => setTimeout(() => r({ status: 200, body: 'late' }), 3000).unref());
      const started = Date.now();
      await expect(activity(acts.runbookHttp, { ...scope('ops'), url: `${api.url}/slow`, timeoutMs: 400 })).rejects.toMatchObject({
        type: 'RunbookStepUnavailable',
        nonRetryable: false,
        message: `GET ${new URL(api.url).host}/slow: no answer within 400ms`,
      });
      expect(Date.now() - started).toBeLessThan(2000);
    });

    test('a slow answer heartbeats, and cancelling the activity aborts the request', async () => {
      answers['/slow'] = () => new Promise((r) => setTimeout(() => r({ status: 200, body: 'late' }), 5000).unref());
      const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
      let beats = 0;
      env.on('heartbeat', () => {
        if (++beats === 2) env.cancel();
      });
      const started = Date.now();
      await expect(activity(acts.runbookHttp, { ...scope('ops'), url: `${api.url}/slow`, timeoutMs: 30_000 }, env)).rejects.toMatchObject({ name: 'CancelledFailure' });
      expect(Date.now() - started).toBeLessThan(4000);
      await eventually(async () => api.received[0]?.abortedAt !== undefined, 2000, 'the server to see the request aborted');
    });
  });

  describe('exec', () => {
    test('is off by default: a command not in runbooks.exec.allow is refused', async () => {
      await expect(activity(acts.runbookExec, { ...scope('bare'), command: '/bin/echo', args: ['hi'] })).rejects.toMatchObject({
        type: 'RunbookStepNotAllowed',
        nonRetryable: true,
        message: 'exec: /bin/echo is not allowed for tenant bare: add its exact path to runbooks.exec.allow',
      });
      // Exact paths: the same program by another name is another command.
      await expect(activity(acts.runbookExec, { ...scope('ops'), command: 'echo', args: ['hi'] })).rejects.toMatchObject({ type: 'RunbookStepNotAllowed' });
    });

    test('an allowed command runs without a shell, and a non-zero exit is returned, not thrown', async () => {
      expect(await activity(acts.runbookExec, { ...scope('ops'), command: '/bin/echo', args: ['$HOME', ';', 'rm -rf /'] })).toEqual({ code: 0, stdout: '$HOME ; rm -rf /\n', stderr: '' });
      expect(await activity(acts.runbookExec, { ...scope('ops'), command: '/bin/sh', args: ['-c', 'echo out; echo "err $KLAXON_TENANT ${DATABASE_URL:-none}" >&2; exit 3'] })).toEqual({
        code: 3,
        stdout: 'out\n',
        stderr: 'err ops none\n',
      });
    });

    test('output is capped at 16 KiB per stream, and the command still runs to its end', async () => {
      const r = await activity(acts.runbookExec, { ...scope('ops'), command: '/bin/sh', args: ['-c', 'yes x | head -c 100000; yes y | head -c 50000 >&2; exit 0'] });
      expect(r.code).toBe(0);
      expect(r.stdout).toHaveLength(16 * 1024);
      expect(r.stderr).toHaveLength(16 * 1024);
      expect(r.stderr.startsWith('y\ny\n')).toBe(true);
    });

    test('a command that outlives its timeout is killed and not retried', async () => {
      const started = Date.now();
      await expect(activity(acts.runbookExec, { ...scope('ops'), command: '/bin/sh', args: ['-c', 'echo started; sleep 30'], timeoutMs: 300 })).rejects.toMatchObject({
        type: 'ExecTimedOut',
        nonRetryable: true,
        details: [{ stdout: 'started\n' }],
      });
      expect(Date.now() - started).toBeLessThan(3000);
    });

    test('cancelling the activity kills the command', async () => {
      const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
      env.once('heartbeat', () => setTimeout(() => env.cancel(), 300));
      const started = Date.now();
      await expect(activity(acts.runbookExec, { ...scope('ops'), command: '/bin/sh', args: ['-c', 'sleep 30'] }, env)).rejects.toMatchObject({ name: 'CancelledFailure' });
      expect(Date.now() - started).toBeLessThan(4000);
    });
  });

  test("the kill switch (runbooks.enabled: false) refuses every step for good, naming the tenant, and nothing goes out", async () => {
    const off = scope('off');
    const calls: Array<Promise<unknown>> = [
      activity(acts.runbookHttp, { ...off, url: `${api.url}/deploys` }),
      activity(acts.runbookPromQuery, { ...off, query: 'up' }),
      activity(acts.runbookCreateSilence, { ...off, matchers: ['alertname="Off"'], durationMs: 60_000, comment: 'kill switch' }),
      activity(acts.runbookExpireSilence, { ...off, silenceId: '5a8e2a3c-0000-4000-8000-000000000000' }),
      activity(acts.runbookExec, { ...off, command: '/bin/echo', args: ['hi'] }),
    ];
    for (const call of calls) {
      await expect(call).rejects.toMatchObject({ type: 'RunbooksDisabled', nonRetryable: true, message: 'runbooks are switched off for tenant off (runbooks.enabled: false)' });
    }
    expect(api.received).toHaveLength(0);
    const { stdout } = await run(AMTOOL_BIN, ['silence', 'query', `--alertmanager.url=${alertmanager.url}`, '-o', 'json', 'alertname=Off']);
    expect(JSON.parse(stdout)).toEqual([]);
  });
});
