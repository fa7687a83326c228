import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, opsTenantYaml, postAlert, startTestKlaxon, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { makeTestPki, type TestPki } from '../support/pki';
import { startTlsGrpcProxy } from '../support/tlsGrpcProxy';
import type { Klaxon } from '../../src/runtime';

/**
 * Klaxon against a Temporal that wants TLS, a client certificate and an API key (issue #10): the
 * dev server speaks none of it, so a node:tls (http2) proxy in front of it terminates TLS, requires
 * a certificate of the test CA and records the metadata of every call.
 */
describe('Temporal over TLS with a client certificate and an API key', () => {
  let pki: TestPki;
  let proxy: Awaited<ReturnType<typeof startTlsGrpcProxy>>;
  let ops: Awaited<ReturnType<typeof startReceiver>>;
  let klaxon: Klaxon | undefined;
  const tenant = uniqueTenant('tls');
  const apiKey = `tmprl-test-${Date.now()}-key`;

  beforeAll(async () => {
    pki = makeTestPki();
    proxy = await startTlsGrpcProxy({ upstream: process.env.KLAXON_TEST_TEMPORAL_ADDRESS!, cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert });
    ops = await startReceiver();
  });
  afterAll(async () => {
    await klaxon?.stop();
    await proxy?.close();
    await ops?.close();
  });

  const secrets = () => ({ HOOK: 'hook', API: 'api', URL: ops.url });
  const tlsEnv = (extra: Record<string, string> = {}) => ({
    TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`,
    TEMPORAL_TLS_CA_FILE: pki.caCert,
    // A name in the proxy's certificate other than the address: the SNI override is used.
    TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
    ...extra,
  });

  test('with CA, client certificate and API key, Klaxon opens and pages an incident end to end; every call carries the key and the certificate', async () => {
    const before = proxy.seen.length;
    klaxon = await startTestKlaxon(opsTenantYaml(tenant), secrets(), tlsEnv({ TEMPORAL_TLS_CERT_FILE: pki.clientCert, TEMPORAL_TLS_KEY_FILE: pki.clientKey, TEMPORAL_API_KEY: apiKey }));
    const { incidentId, outcome } = await postAlert(klaxon.url, tenant, { groupKey: '{}:{alertname="TlsDown"}', labels: { alertname: 'TlsDown', service: 'api' }, fingerprint: 'tls1' });
    expect(outcome).toBe('started');
    // The page is sent by an activity: the worker polled its task through the proxy too.
    const page = await eventually(async () => ops.messages().find((m) => m.incident.id === incidentId), 30_000, 'the page');
    expect(page.kind).toBe('firing');

    const calls = proxy.seen.slice(before);
    const paths = calls.map((c) => c.path);
    expect(paths).toEqual(expect.arrayContaining(['/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution', '/temporal.api.workflowservice.v1.WorkflowService/PollWorkflowTaskQueue', '/temporal.api.workflowservice.v1.WorkflowService/PollActivityTaskQueue']));
    // Both kinds of connection: the client's (grpc-js) and the worker's (Temporal's Rust core).
    const agents = new Set(calls.map((c) => (c.userAgent ?? '').split('/')[0]));
    expect([...agents].some((a) => a.startsWith('grpc-node'))).toBe(true);
    expect([...agents].some((a) => !a.startsWith('grpc-node'))).toBe(true);
    for (const c of calls) {
      expect({ path: c.path, authorization: c.authorization, cn: c.clientCn }).toEqual({ path: c.path, authorization: `Bearer ${apiKey}`, cn: 'klaxon-worker' });
    }
    await klaxon.stop();
    klaxon = undefined;
  }, 90_000);

  test('without the client certificate the start is refused, naming the variables to set; the key is never in the error', async () => {
    const handshakesBefore = proxy.handshakeErrors.length;
    const err = (await startTestKlaxon(opsTenantYaml(tenant), secrets(), tlsEnv({ TEMPORAL_API_KEY: apiKey })).then(
      () => new Error('started'),
      (e: Error) => e,
    )) as Error;
    expect(err.message).toMatch(new RegExp(`cannot reach Temporal at 127\\.0\\.0\\.1:${proxy.port} \\(TLS \\(CA .*, server name temporal\\.test, API key from TEMPORAL_API_KEY\\)\\)`));
    expect(err.message).toContain('set TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE');
    // The transport's own reason is kept: the server asked for a certificate.
    expect(err.message).toMatch(/certificate required/i);
    expect(err.message).not.toContain(apiKey);
    // The proxy refused the handshake (it never forwarded a call without a certificate).
    expect(proxy.handshakeErrors.length).toBeGreaterThan(handshakesBefore);
  }, 60_000);

  test("a certificate of another CA is refused as well; a plaintext client is told to turn TLS on", async () => {
    const stranger = await startTestKlaxon(opsTenantYaml(tenant), secrets(), tlsEnv({ TEMPORAL_TLS_CERT_FILE: pki.strangerCert, TEMPORAL_TLS_KEY_FILE: pki.strangerKey })).then(
      () => new Error('started'),
      (e: Error) => e,
    );
    expect(stranger.message).toMatch(/cannot reach Temporal at .*client certificate .*stranger\.crt/);
    expect(stranger.message).not.toContain('set TEMPORAL_TLS_CERT_FILE');

    const plain = await startTestKlaxon(opsTenantYaml(tenant), secrets(), { TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}` }).then(
      () => new Error('started'),
      (e: Error) => e,
    );
    expect(plain.message).toMatch(/cannot reach Temporal at .* \(plaintext\)/);
    expect(plain.message).toContain('set TEMPORAL_TLS=true');
  }, 60_000);

  test('the API key can come from a file (TEMPORAL_API_KEY_FILE)', async () => {
    const file = join(pki.dir, 'api-key');
    writeFileSync(file, `${apiKey}-from-file\n`, { mode: 0o600 });
    const before = proxy.seen.length;
    klaxon = await startTestKlaxon(opsTenantYaml(tenant), secrets(), tlsEnv({ TEMPORAL_TLS_CERT_FILE: pki.clientCert, TEMPORAL_TLS_KEY_FILE: pki.clientKey, TEMPORAL_API_KEY_FILE: file }), { worker: false });
    const calls = proxy.seen.slice(before);
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((c) => c.authorization))).toEqual(new Set([`Bearer ${apiKey}-from-file`]));
    await klaxon.stop();
    klaxon = undefined;
  }, 60_000);
});
