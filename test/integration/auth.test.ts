import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { generateSigningKey } from '../../src/auth/keyring';
import { PERMISSIONS, type Permission } from '../../src/auth/permissions';
import type { Klaxon } from '../../src/runtime';
import { projectRoot } from '../../src/paths';
import { eventually, postAlert, startTestKlaxon, testConfig, uniqueTenant } from '../support/klaxon';
import { startReceiver } from '../support/receiver';
import { servedRoutes, tokenFor, type ServedRoute } from '../support/auth';

const run = promisify(execFile);

/**
 * What each API route needs — the contract the README's table states. The routes themselves come
 * from the running app's router: a route missing here fails the matrix until someone decides.
 */
const EXPECTED: Record<string, Permission> = {
  'GET /api/v1/incidents': 'read',
  'GET /api/v1/incidents/:id': 'read',
  'GET /api/v1/incidents/:id/state': 'read',
  'POST /api/v1/incidents/:id/ack': 'write',
  'POST /api/v1/incidents/:id/unack': 'write',
  'POST /api/v1/incidents/:id/resolve': 'write',
  'POST /api/v1/incidents/:id/snooze': 'write',
  'POST /api/v1/incidents/:id/feedback': 'write',
  'POST /api/v1/incidents/:id/escalate': 'escalate',
  'POST /api/v1/incidents/:id/reassign': 'escalate',
  'GET /api/v1/incidents/:id/runbooks': 'read',
  'POST /api/v1/incidents/:id/runbooks/:name/dry-run': 'read',
  'POST /api/v1/incidents/:id/runbooks/:name/run': 'admin',
  'POST /api/v1/incidents/:id/runbooks/:name/:n/approve': 'write',
  'POST /api/v1/incidents/:id/runbooks/:name/:n/deny': 'write',
  'POST /api/v1/incidents/:id/runbooks/:name/:n/cancel': 'admin',
  'GET /api/v1/runbooks': 'read',
  'GET /api/v1/runbooks/stats': 'read',
  'GET /api/v1/models': 'read',
  'GET /api/v1/models/report': 'read',
  'GET /api/v1/models/retrains/:workflowId': 'read',
  'POST /api/v1/models/retrain': 'admin',
  'GET /api/v1/receivers/health': 'read',
  'GET /api/v1/status': 'read',
  'POST /api/v1/tokens/revocations': 'admin',
  'GET /api/v1/tokens/revocations': 'admin',
};

/** A body each route accepts (so a cross-tenant call reaches the tenant check); `{}` unless listed. */
const VALID_BODY: Record<string, object> = { snooze: { duration: '1h' }, reassign: { user: 'carol' }, feedback: { label: 'noise' }, revocations: { user: 'left-long-ago' } };

const IDP_ISSUER = 'https://idp.test/';

/** Authentication and permissions over real HTTP: Klaxon tokens, rotation, OIDC, and every API route × permission × tenant. */
describe('who may call the API', () => {
  let klaxon: Klaxon;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let idp: { server: Server; url: string; keys: JWK[] };
  const A = uniqueTenant('auth-a');
  const B = uniqueTenant('auth-b');
  const k1 = generateSigningKey();
  const k2 = generateSigningKey();
  const idpKey = generateKeyPair('RS256', { extractable: true });
  let incidentA: string;
  let incidentB: string;
  let yaml: (keys: string) => string;
  let secrets: Record<string, string>;

  const call = async (method: string, path: string, token: string | undefined, body?: unknown) => {
    const res = await fetch(`${klaxon.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> & { message?: string } };
  };
  const fill = (url: string, id: string, tenant: string) => url.replace(':id', encodeURIComponent(id)).replace(':name', 'test-approval').replace(':n', '1').replace(':workflowId', encodeURIComponent(`retrain/${tenant}/manual`));

  beforeAll(async () => {
    receiver = await startReceiver();
    const { publicKey } = await idpKey;
    // The identity provider's key set, served over HTTP the way an IdP publishes it.
    const keys = [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' }];
    const server = createServer((req, res) => {
      if (req.url !== '/jwks.json') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: idp.keys }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    idp = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, keys };

    const tenant = (name: string, api: string) => `
  ${name}:
    webhook: { token: "\${HOOK}" }
    api: { token: "\${${api}}" }
    anomaly: { mode: "off" }
    users:
      carol: { name: Carol, email: carol@example.com }
    receivers:
      ops: { type: webhook, url: "\${URL}" }
    escalationPolicies:
      slow: { steps: [{ notify: { receivers: [ops] } }, { wait: 1h }, { notify: { receivers: [ops] } }] }
    defaultPolicy: slow`;
    yaml = (keys: string) => `
server:
  auth:
    keys: ${keys}
    oidc:
      - issuer: "${IDP_ISSUER}"
        audience: klaxon
        jwksUrl: "${idp.url}"
        tenantClaim: klaxon_tenant
        permissionsClaim: scope
        permissionPrefix: "klaxon:"
        subjectClaim: email
tenants:${tenant(A, 'API_A')}${tenant(B, 'API_B')}
`;
    secrets = { HOOK: 'hook', API_A: 'api-a', API_B: 'api-b', URL: `${receiver.url}/ops`, K1: k1.pem, K2: k2.pem };
    klaxon = await startTestKlaxon(yaml('[{ kid: k1, privateKey: "${K1}" }]'), secrets);
    const open = async (tenant: string, apiToken: string) => {
      const { incidentId } = await postAlert(klaxon.url, tenant, { groupKey: `{}:{case="${tenant}"}`, labels: { alertname: 'AuthMatrix', severity: 'critical' }, fingerprint: `fp-${tenant}` });
      await eventually(async () => (await call('GET', `/api/v1/incidents/${incidentId}/state`, apiToken)).status === 200, 15_000, `${tenant}'s incident running`);
      return incidentId;
    };
    incidentA = await open(A, 'api-a');
    incidentB = await open(B, 'api-b');
  });
  afterAll(async () => {
    await klaxon?.stop();
    await receiver?.close();
    await new Promise((r) => idp?.server.close(r));
  });

  const apiRoutes = (): ServedRoute[] => servedRoutes(klaxon.app!).filter((r) => r.url.startsWith('/api/'));

  test('the route list comes from the app and every /api route is in the permission table', () => {
    const served = apiRoutes().map((r) => `${r.method} ${r.url}`);
    expect(served.length).toBeGreaterThanOrEqual(Object.keys(EXPECTED).length);
    expect(served.filter((r) => !EXPECTED[r])).toEqual([]);
    expect(Object.keys(EXPECTED).filter((r) => !served.includes(r))).toEqual([]);
  });

  test('every route × permission: a token with only that permission passes exactly where the table says (admin everywhere); otherwise 403 naming what is missing', async () => {
    const tokens = Object.fromEntries(await Promise.all(PERMISSIONS.map(async (p) => [p, await tokenFor(klaxon, A, `only-${p}`, [p])] as const)));
    const none = await tokenFor(klaxon, A, 'nobody', []);
    const rows: string[] = [];
    for (const route of apiRoutes()) {
      const key = `${route.method} ${route.url}`;
      const needed = EXPECTED[key];
      const path = fill(route.url, incidentA, A);
      // A body no route accepts: an authorised POST ends in 400 at validation, before it could act.
      const body = route.method === 'POST' ? { matrixProbe: true } : undefined;
      for (const [held, token] of [...Object.entries(tokens), ['none', none]] as const) {
        const { status, json } = await call(route.method, path, token, body);
        const allowed = held === needed || held === 'admin';
        if (allowed && (status === 401 || status === 403)) rows.push(`${key} with ${held}: ${status} ${json.message}`);
        if (!allowed && (status !== 403 || json.missing !== needed || !json.message?.includes(`missing permission "${needed}"`))) rows.push(`${key} with ${held}: expected 403 naming ${needed}, got ${status} ${JSON.stringify(json)}`);
      }
    }
    expect(rows).toEqual([]);
  });

  test("every route × tenant: an admin token of tenant A never reads or changes tenant B's incident (404), nor shows B's data", async () => {
    const adminA = await tokenFor(klaxon, A, 'admin-a');
    const rows: string[] = [];
    for (const route of apiRoutes()) {
      const key = `${route.method} ${route.url}`;
      const last = route.url.split('/').pop()!;
      const body = route.method === 'POST' ? (VALID_BODY[last] ?? {}) : undefined;
      const { status, json } = await call(route.method, fill(route.url, incidentB, B), adminA, body);
      const text = JSON.stringify(json);
      if (route.url.includes(':')) {
        // Indistinguishable from an id that does not exist (the message only echoes the id asked for).
        if (status !== 404 || json.error !== 'not found') rows.push(`${key}: expected 404, got ${status} ${text}`);
      } else {
        if (status === 401 || status === 403 || status >= 500) rows.push(`${key}: ${status} ${text}`);
        if (text.includes(B) || text.includes(incidentB)) rows.push(`${key}: the answer shows tenant B's data: ${text}`);
      }
    }
    expect(rows).toEqual([]);
    // B's incident is untouched, and its own tenant still reads it.
    const b = await call('GET', `/api/v1/incidents/${incidentB}`, await tokenFor(klaxon, B, 'reader-b', ['read']));
    expect(b.status).toBe(200);
    expect((b.json.incident as { status: string }).status).toBe('firing');
    // Naming the other tenant outright is refused, not silently ignored.
    expect((await call('GET', `/api/v1/incidents?tenant=${B}`, adminA)).status).toBe(403);
    expect((await call('POST', '/api/v1/models/retrain', adminA, { tenant: B })).status).toBe(403);
  });

  test("a read token cannot ack (403 naming write); the actor recorded is the token's subject, never the body's actor", async () => {
    const reader = await tokenFor(klaxon, A, 'rita', ['read']);
    const denied = await call('POST', `/api/v1/incidents/${incidentA}/ack`, reader, { note: 'mine' });
    expect(denied.status).toBe(403);
    expect(denied.json.message).toBe('missing permission "write": POST /api/v1/incidents/:id/ack needs it; this token has read');

    const alice = await tokenFor(klaxon, A, 'alice', ['read', 'write']);
    const ack = await call('POST', `/api/v1/incidents/${incidentA}/ack`, alice, { actor: 'mallory', note: 'looking' });
    expect(ack.status).toBe(200);
    expect(ack.json.state).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'alice' });
    const legacy = await call('POST', `/api/v1/incidents/${incidentA}/unack`, 'api-a', { actor: 'bob' });
    expect(legacy.status).toBe(200);
    type Entry = { kind: string; actor: string };
    const timeline = await eventually(async () => {
      const t = (await call('GET', `/api/v1/incidents/${incidentA}`, alice)).json.timeline as Entry[];
      return t.some((e) => e.kind === 'unacknowledged') && t;
    }, 10_000, 'the unack in the timeline');
    expect(timeline.filter((e) => e.kind === 'acknowledged' || e.kind === 'unacknowledged').map((e) => [e.kind, e.actor])).toEqual([
      ['acknowledged', 'alice'],
      ['unacknowledged', 'api-token'],
    ]);
    expect(timeline.some((e) => e.actor === 'mallory' || e.actor === 'bob')).toBe(false);

    const feedback = await call('POST', `/api/v1/incidents/${incidentA}/feedback`, alice, { label: 'actionable', actor: 'mallory' });
    expect(feedback.json.feedback).toMatchObject({ actor: 'alice', label: 'actionable' });
  });

  test('an expired token, a wrong signature, an unknown key id, an untrusted issuer and garbage answer 401 with the reason', async () => {
    const path = `/api/v1/incidents/${incidentA}`;
    const expired = await tokenFor(klaxon, A, 'alice', ['read'], { now: new Date(Date.now() - 7_200_000) });
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /^missing bearer token/],
      [expired, /^token expired at \d{4}-\d\d-\d\dT/],
      [await forged(A, 'k1', k2.pem), /^token signature is invalid$/],
      [await forged(A, 'k9', k1.pem), /^token signed with unknown key id "k9"/],
      [await new SignJWT({ tenant: A, permissions: ['admin'] }).setProtectedHeader({ alg: 'RS256', kid: 'x' }).setIssuer('https://evil.test/').setSubject('eve').setExpirationTime('1h').sign((await idpKey).privateKey), /^token issuer "https:\/\/evil.test\/" is not trusted/],
      ['not-a-token', /^invalid bearer token: neither a tenant API token nor a JWT$/],
    ];
    for (const [token, message] of cases) {
      const { status, json } = await call('GET', path, token);
      expect([status, json.message]).toEqual([401, expect.stringMatching(message)]);
    }
    // A valid token of a tenant this server does not have.
    const { status, json } = await call('GET', path, await tokenFor(klaxon, 'no-such-tenant', 'alice', ['read']));
    expect([status, json.message]).toEqual([403, 'the token\'s tenant "no-such-tenant" is not configured here']);
  });

  /** A Klaxon-shaped token signed with any key under any key id. */
  async function forged(tenant: string, kid: string, pem: string): Promise<string> {
    const auth = klaxon.config.config.server.auth;
    return new SignJWT({ tenant, permissions: ['read'] }).setProtectedHeader({ alg: 'EdDSA', kid }).setIssuer(auth.issuer).setAudience(auth.audience).setSubject('alice').setExpirationTime('1h').sign(createPrivateKey(pem));
  }

  test("OIDC: a token of the identity provider, checked against its JWKS, maps its claims to tenant, permissions and actor", async () => {
    const { privateKey } = await idpKey;
    const idToken = (claims: Record<string, unknown>, o: { kid?: string; audience?: string; key?: CryptoKey } = {}) =>
      new SignJWT({ email: 'olivia@example.com', klaxon_tenant: A, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'idp-1' })
        .setIssuer(IDP_ISSUER)
        .setAudience(o.audience ?? 'klaxon')
        .setSubject('00u1abcd')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(o.key ?? privateKey);
    const writer = await idToken({ scope: 'openid email klaxon:read klaxon:write' });
    expect((await call('GET', `/api/v1/incidents/${incidentA}`, writer)).status).toBe(200);
    const resolved = await call('POST', `/api/v1/incidents/${incidentA}/escalate`, writer, {});
    expect([resolved.status, resolved.json.message]).toEqual([403, expect.stringContaining('missing permission "escalate"')]);
    const ack = await call('POST', `/api/v1/incidents/${incidentA}/ack`, writer, {});
    expect(ack.json.state).toMatchObject({ acknowledgedBy: 'olivia@example.com' });
    await call('POST', `/api/v1/incidents/${incidentA}/unack`, writer, {});

    // Tenant B's incident is not found for an IdP user of tenant A.
    expect((await call('GET', `/api/v1/incidents/${incidentB}`, writer)).status).toBe(404);
    const wrongAudience = await call('GET', `/api/v1/incidents/${incidentA}`, await idToken({ scope: 'klaxon:read' }, { audience: 'another-app' }));
    expect([wrongAudience.status, wrongAudience.json.message]).toEqual([401, 'token refused: unexpected "aud" claim value']);
    const noTenant = await call('GET', `/api/v1/incidents/${incidentA}`, await idToken({ scope: 'klaxon:read', klaxon_tenant: undefined }));
    expect([noTenant.status, noTenant.json.message]).toEqual([401, 'token has no "klaxon_tenant" claim naming the tenant']);
    // Signed by a key the provider does not publish.
    const stranger = await generateKeyPair('RS256');
    const unknownKid = await call('GET', `/api/v1/incidents/${incidentA}`, await idToken({ scope: 'klaxon:read' }, { kid: 'idp-9', key: stranger.privateKey }));
    expect([unknownKid.status, unknownKid.json.message]).toEqual([401, "token signed with a key id the identity provider's key set does not have"]);
    const sameKidOtherKey = await call('GET', `/api/v1/incidents/${incidentA}`, await idToken({ scope: 'klaxon:read' }, { key: stranger.privateKey }));
    expect([sameKidOtherKey.status, sameKidOtherKey.json.message]).toEqual([401, 'token signature is invalid']);

    // The provider rotates: a token under its new key id is accepted once the key set has it (fetched again on an unknown kid).
    const next = await generateKeyPair('RS256', { extractable: true });
    idp.keys = [...idp.keys, { ...(await exportJWK(next.publicKey)), kid: 'idp-2', alg: 'RS256', use: 'sig' }];
    const rotated = await idToken({ scope: 'klaxon:read' }, { kid: 'idp-2', key: next.privateKey });
    await eventually(async () => (await call('GET', `/api/v1/incidents/${incidentA}`, rotated)).status === 200, 40_000, "the IdP's new key (after jose's 30 s cooldown)");
  }, 90_000);

  test("rotation: after a new key is added first, tokens of the old key keep working and new tokens use the new key; removing the old key ends its tokens; the public keys are published", async () => {
    const before = await tokenFor(klaxon, A, 'alice', ['read']);
    klaxon.config.replace(testConfig(yaml('[{ kid: k2, privateKey: "${K2}" }, { kid: k1, privateKey: "${K1}" }]'), secrets));
    try {
      expect((await call('GET', `/api/v1/incidents/${incidentA}`, before)).status).toBe(200);
      const after = await tokenFor(klaxon, A, 'alice', ['read']);
      expect(JSON.parse(Buffer.from(after.split('.')[0], 'base64url').toString()).kid).toBe('k2');
      expect((await call('GET', `/api/v1/incidents/${incidentA}`, after)).status).toBe(200);

      // An external verifier checks a Klaxon token with nothing but the published key set.
      const jwks = (await (await fetch(`${klaxon.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string; d?: string }> };
      expect(jwks.keys.map((k) => k.kid)).toEqual(['k2', 'k1']);
      expect(jwks.keys.some((k) => k.d)).toBe(false);
      const { payload } = await jwtVerify(after, createRemoteJWKSet(new URL(`${klaxon.url}/.well-known/jwks.json`)), { issuer: 'klaxon', audience: 'klaxon-api' });
      expect(payload).toMatchObject({ sub: 'alice', tenant: A, permissions: ['read'] });

      klaxon.config.replace(testConfig(yaml('[{ kid: k2, privateKey: "${K2}" }]'), secrets));
      const gone = await call('GET', `/api/v1/incidents/${incidentA}`, before);
      expect([gone.status, gone.json.message]).toEqual([401, expect.stringMatching(/^token signed with unknown key id "k1"/)]);
      expect((await call('GET', `/api/v1/incidents/${incidentA}`, after)).status).toBe(200);
    } finally {
      klaxon.config.replace(testConfig(yaml('[{ kid: k1, privateKey: "${K1}" }]'), secrets));
    }
  });

  test('klaxon token issue prints a token the server accepts, and the CLI sends it as KLAXON_TOKEN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-token-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(file, yaml('[{ kid: k1, privateKey: "${K1}" }]'));
    writeFileSync(join(dir, 'k1.pem'), k1.pem);
    // The key from a file (K1_FILE), the way a mounted secret arrives.
    const env = { ...process.env, ...secrets, K1: '', K1_FILE: join(dir, 'k1.pem') };
    const cli = (args: string[], extra: Record<string, string> = {}) => run(process.execPath, [join(projectRoot, 'bin', 'klaxon.js'), ...args], { env: { ...env, ...extra }, cwd: projectRoot });
    const { stdout, stderr } = await cli(['token', 'issue', '--config', file, '--tenant', A, '--user', 'carol', '--perm', 'read,write', '--ttl', '1h']);
    // Its id too: what `klaxon token revoke` names.
    expect(stderr).toMatch(new RegExp(`token [0-9a-f-]{36} for carol of ${A} \\(read, write\\), key k1, expires`));
    const token = stdout.trim();
    expect(stderr).not.toContain(token);
    const acked = await cli(['ack', incidentA, '--note', 'from the cli'], { KLAXON_URL: klaxon.url, KLAXON_TOKEN: token });
    expect(acked.stdout).toContain('(by carol)');
    await call('POST', `/api/v1/incidents/${incidentA}/unack`, token, {});
    const typo = await cli(['token', 'issue', '--config', file, '--tenant', A, '--user', 'carol', '--perm', 'read,wirte']).catch((err: { code: number; stderr: string }) => err);
    expect(typo).toMatchObject({ code: 2, stderr: expect.stringContaining('--perm: unknown permission "wirte"') });
  });
});
