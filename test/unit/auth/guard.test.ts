import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { Authenticator } from '../../../src/auth/authenticate';
import { generateSigningKey } from '../../../src/auth/keyring';
import { parseConfig } from '../../../src/config/load';
import { ConfigStore } from '../../../src/config/store';
import type { Logger } from '../../../src/logger';
import { installApiAuth } from '../../../src/server/auth';

const tenants = `
tenants:
  acme:
    webhook: { token: "\${HOOK}" }
    api: { token: "\${API}" }
    receivers:
      ops: { type: webhook, url: "\${URL}" }
    escalationPolicies:
      p: { steps: [{ notify: { receivers: [ops] } }] }
    defaultPolicy: p
`;
const env = { HOOK: 'hook', API: 'shared-api-token', URL: 'http://127.0.0.1:1/x' };
const parse = (server: string, extra: Record<string, string> = {}) => parseConfig(`${server}${tenants}`, { ...env, ...extra });
const problems = (server: string, extra: Record<string, string> = {}) => {
  const r = parse(server, extra);
  return r.ok ? {} : Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
};
const quietLog = () => {
  const warnings: string[] = [];
  const log = { warn: (_o: unknown, msg: string) => warnings.push(msg), child: () => log } as unknown as Logger;
  return { log, warnings };
};

describe('guarding the API', () => {
  test('an /api route without a declared permission stops the server from starting; one outside /api needs none', async () => {
    const r = parse('');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const app = Fastify();
    installApiAuth(app, new Authenticator(new ConfigStore(r.config), quietLog().log));
    app.get('/healthz', async () => 'ok');
    app.get('/api/v1/guarded', { config: { permission: 'read' } }, async () => 'ok');
    const start = async () => {
      await app.register(async (child) => {
        child.post('/api/v1/forgotten', async () => 'oops');
      });
      await app.ready();
    };
    await expect(start()).rejects.toThrow('POST /api/v1/forgotten: every /api route declares the permission it needs (config.permission: read | write | escalate | admin)');

    // fastify's automatic HEAD route for a GET is guarded like the GET.
    const guarded = Fastify();
    installApiAuth(guarded, new Authenticator(new ConfigStore(r.config), quietLog().log));
    guarded.get('/api/v1/guarded', { config: { permission: 'read' } }, async () => 'ok');
    const url = `${await guarded.listen({ port: 0, host: '127.0.0.1' })}/api/v1/guarded`;
    try {
      for (const method of ['GET', 'HEAD']) expect((await fetch(url, { method })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer shared-api-token' } })).status).toBe(200);
    } finally {
      await guarded.close();
    }

    const typo = Fastify();
    installApiAuth(typo, new Authenticator(new ConfigStore(r.config), quietLog().log));
    expect(() => typo.get('/api/v1/x', { config: { permission: 'reed' as 'read' } }, async () => 'ok')).toThrow('GET /api/v1/x: config.permission "reed" is not one of read, write, escalate, admin');
  });

  test('the deprecated tenant token is every permission as actor api-token, and says so once in the log', async () => {
    const r = parse('');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const { log, warnings } = quietLog();
    const authn = new Authenticator(new ConfigStore(r.config), log);
    for (let i = 0; i < 3; i++) {
      expect(await authn.authenticate('Bearer shared-api-token')).toEqual({ tenant: 'acme', subject: 'api-token', permissions: ['read', 'write', 'escalate', 'admin'], via: 'api-token' });
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^deprecated: the tenant API token/);
    expect(warnings[0]).not.toContain('shared-api-token');
    await expect(authn.authenticate('Basic abc')).rejects.toThrow('the authorization header must be "Bearer <token>"');
  });
});

describe('server.auth configuration', () => {
  const key = generateSigningKey();

  test('keys come from ${VAR} or ${VAR}_FILE; a bad key names the variable and never shows the value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-auth-'));
    writeFileSync(join(dir, 'key.pem'), `${key.pem}\n`);
    const server = 'server:\n  auth:\n    keys:\n      - { kid: k1, privateKey: "${TOKEN_KEY}" }\n';
    expect(parse(server, { TOKEN_KEY_FILE: join(dir, 'key.pem') }).ok).toBe(true);
    expect(problems(server, { TOKEN_KEY: 'hunter2-is-no-key' })).toEqual({ 'server.auth.keys.0.privateKey': 'TOKEN_KEY: not a private key: expected PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") or a private JWK' });
    expect(problems(server)).toEqual({ 'server.auth.keys.0.privateKey': 'env var TOKEN_KEY is not set (nor TOKEN_KEY_FILE)' });
    expect(problems(server, { TOKEN_KEY_FILE: join(dir, 'missing.pem') })).toEqual({ 'server.auth.keys.0.privateKey': `TOKEN_KEY_FILE: cannot read ${join(dir, 'missing.pem')} (ENOENT)` });
    expect(problems('server:\n  auth:\n    keys:\n      - { kid: k1, privateKey: "-----BEGIN PRIVATE KEY-----" }\n')).toEqual({ 'server.auth.keys.0.privateKey': 'secrets must be an ${ENV_VAR} reference, not written inline' });
  });

  test('a key id used twice, an issuer configured twice or equal to Klaxon\'s own, and an unknown fixed tenant are refused with their path', () => {
    expect(problems('server:\n  auth:\n    keys:\n      - { kid: k1, privateKey: "${K}" }\n      - { kid: k1, privateKey: "${K}" }\n', { K: key.pem })).toEqual({ 'server.auth.keys.1.kid': 'key id "k1" is already used by keys.0' });
    const idp = (issuer: string, more = '') => `      - { issuer: "${issuer}", audience: klaxon, jwksUrl: "https://idp.test/jwks"${more} }\n`;
    expect(problems(`server:\n  auth:\n    oidc:\n${idp('https://idp.test/')}${idp('https://idp.test/')}${idp('klaxon')}`)).toEqual({
      'server.auth.oidc.1.issuer': 'issuer "https://idp.test/" is already configured at oidc.0',
      'server.auth.oidc.2.issuer': '"klaxon" is Klaxon\'s own issuer (server.auth.issuer)',
    });
    expect(problems(`server:\n  auth:\n    oidc:\n${idp('https://idp.test/', ', tenant: globex')}`)).toEqual({ 'server.auth.oidc.0.tenant': 'unknown tenant "globex"' });
    expect(problems(`server:\n  auth:\n    oidc:\n${idp('https://idp.test/', ', algorithms: [HS256]')}`)['server.auth.oidc.0.algorithms.0']).toMatch(/Invalid option/);
  });
});
