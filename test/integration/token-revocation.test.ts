import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateSigningKey } from '../../src/auth/keyring';
import { REVOCATIONS_REFRESH_MS } from '../../src/auth/revocations';
import { projectRoot } from '../../src/paths';
import type { Klaxon } from '../../src/runtime';
import { eventually, startTestKlaxon, tenantYaml, uniqueTenant } from '../support/klaxon';
import { tokenFor } from '../support/auth';

const run = promisify(execFile);
/** Two HTTP processes of one deployment share the audit store: Postgres (as CI runs it). */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Ending a token before it expires (a lost laptop, someone who left): one token, or every token
 * of a user; refused at once by the process that took the revocation and within
 * REVOCATIONS_REFRESH_MS by every other HTTP process of the deployment.
 */
describe('token revocation', () => {
  let one: Klaxon;
  let other: Klaxon;
  const tenant = uniqueTenant('revoke');
  const elsewhere = uniqueTenant('revoke-b');
  const key = generateSigningKey();
  const yaml =
    'server:\n  auth:\n    keys: [{ kid: k1, privateKey: "${K1}" }]\n' +
    tenantYaml(tenant, '    receivers:\n      ops: { type: webhook, url: "${URL}" }\n    escalationPolicies:\n      p: { steps: [{ notify: { receivers: [ops] } }] }\n    defaultPolicy: p\n') +
    tenantYaml(elsewhere, '    receivers:\n      ops: { type: webhook, url: "${URL}" }\n    escalationPolicies:\n      p: { steps: [{ notify: { receivers: [ops] } }] }\n    defaultPolicy: p\n').replace(/^tenants:\n/, '').replace('${API}', '${API2}');
  const secrets = { K1: key.pem, HOOK: 'hook', API: 'api', API2: 'api-2', URL: 'http://127.0.0.1:9/unused' };

  const call = async (k: Klaxon, method: 'GET' | 'POST', path: string, token: string, body?: unknown) => {
    const res = await fetch(`${k.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, json: (await res.json().catch(() => ({}))) as { message?: string; revocation?: Record<string, unknown>; revocations?: Array<Record<string, unknown>> } };
  };
  const reads = async (k: Klaxon, token: string) => (await call(k, 'GET', '/api/v1/incidents', token)).status;

  beforeAll(async () => {
    one = await startTestKlaxon(yaml, secrets, { DATABASE_URL });
    other = await startTestKlaxon(yaml, secrets, { DATABASE_URL }, { worker: false });
  });
  afterAll(async () => {
    await other?.stop();
    await one?.stop();
  });

  test('one token: refused at once where it was revoked, and by the other HTTP process within its refresh; the same user\'s other tokens still work', async () => {
    const admin = await tokenFor(one, tenant, 'root', ['admin']);
    const lost = await tokenFor(one, tenant, 'alice', ['read']);
    const kept = await tokenFor(one, tenant, 'alice', ['read']);
    expect([await reads(one, lost), await reads(other, lost)]).toEqual([200, 200]);
    const res = await call(one, 'POST', '/api/v1/tokens/revocations', admin, { token: lost, reason: 'laptop lost' });
    expect(res.status).toBe(201);
    expect(res.json.revocation).toMatchObject({ tenant, jti: expect.any(String), revokedBy: 'root', reason: 'laptop lost' });
    const refused = await call(one, 'GET', '/api/v1/incidents', lost);
    expect(refused.status).toBe(401);
    expect(refused.json.message).toMatch(/^token revoked at \d{4}-.* \(laptop lost\)$/);
    // The revoked token itself is never quoted back.
    expect(JSON.stringify(refused.json)).not.toContain(lost);
    await eventually(async () => (await reads(other, lost)) === 401, REVOCATIONS_REFRESH_MS * 3, 'the other HTTP process refusing it');
    expect([await reads(one, kept), await reads(other, kept)]).toEqual([200, 200]);
    const listed = await call(other, 'GET', '/api/v1/tokens/revocations', admin);
    expect(listed.json.revocations).toContainEqual(expect.objectContaining({ jti: res.json.revocation!.jti, revokedBy: 'root' }));
  });

  test('every token of a user issued until now: those are refused, one issued afterwards works', async () => {
    const admin = await tokenFor(one, tenant, 'root', ['admin']);
    const old = [await tokenFor(one, tenant, 'bob', ['read']), await tokenFor(one, tenant, 'bob', ['read', 'write'])];
    const res = await call(one, 'POST', '/api/v1/tokens/revocations', admin, { user: 'bob' });
    expect(res.status).toBe(201);
    expect(res.json.revocation).toMatchObject({ user: 'bob', issuedBefore: expect.any(String) });
    for (const t of old) expect(await reads(one, t)).toBe(401);
    // Token times are in whole seconds: one made in the same second is revoked with the rest.
    await new Promise((r) => setTimeout(r, 1100));
    const fresh = await tokenFor(one, tenant, 'bob', ['read']);
    expect(await reads(one, fresh)).toBe(200);
    await eventually(async () => (await reads(other, old[0])) === 401, REVOCATIONS_REFRESH_MS * 3, 'the other process refusing bob\'s old tokens');
    expect(await reads(other, fresh)).toBe(200);
    // Another tenant's "bob" is someone else.
    expect(await reads(one, await tokenFor(one, elsewhere, 'bob', ['read']))).toBe(200);
  });

  test('only an admin revokes, only tokens of its own tenant, and a bad request names the field', async () => {
    const admin = await tokenFor(one, tenant, 'root', ['admin']);
    const writer = await tokenFor(one, tenant, 'carol', ['read', 'write', 'escalate']);
    expect((await call(one, 'POST', '/api/v1/tokens/revocations', writer, { user: 'dave' })).status).toBe(403);
    const theirs = await tokenFor(one, elsewhere, 'erin', ['read']);
    const cross = await call(one, 'POST', '/api/v1/tokens/revocations', admin, { token: theirs });
    expect([cross.status, cross.json.message]).toEqual([403, 'token: it is not of your tenant']);
    expect(await reads(one, theirs)).toBe(200);
    const garbage = await call(one, 'POST', '/api/v1/tokens/revocations', admin, { token: 'not-a-token' });
    expect([garbage.status, garbage.json.message]).toEqual([400, 'token: not a JWT']);
    const expired = await tokenFor(one, tenant, 'frank', ['read'], { ttlMs: 1000, now: new Date(Date.now() - 3_600_000) });
    const late = await call(one, 'POST', '/api/v1/tokens/revocations', admin, { token: expired });
    expect([late.status, late.json.message]).toEqual([400, expect.stringMatching(/^token: token expired at .*; nothing to revoke$/)]);
    const neither = await call(one, 'POST', '/api/v1/tokens/revocations', admin, { reason: 'why not' });
    expect(neither.status).toBe(400);
    expect(JSON.stringify(neither.json)).toContain('give exactly one of \\"token\\" (one token) or \\"user\\"');
    expect(JSON.stringify(neither.json)).toMatch(/"path":"user"/);
  });

  test('klaxon token revoke and revocations, through the API as the CLI user', async () => {
    const admin = await tokenFor(one, tenant, 'root', ['admin']);
    const victim = await tokenFor(one, tenant, 'gina', ['read']);
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-revoke-'));
    writeFileSync(join(dir, 'token'), `${victim}\n`);
    const cli = (args: string[]) => run(process.execPath, [join(projectRoot, 'bin', 'klaxon.js'), 'token', ...args], { env: { ...process.env, KLAXON_URL: one.url, KLAXON_TOKEN: admin }, cwd: projectRoot });
    const revoked = await cli(['revoke', '--token-file', join(dir, 'token'), '--reason', 'left the team']);
    expect(revoked.stdout).toMatch(/^revoked: \d{4}-\S+ {2}token [0-9a-f-]{36} \(by root: left the team; in force until /);
    expect(revoked.stdout + revoked.stderr).not.toContain(victim);
    expect(await reads(one, victim)).toBe(401);
    const listed = await cli(['revocations']);
    expect(listed.stdout).toContain('left the team');
    const both = await cli(['revoke', '--user', 'x', '--token', 'y']).catch((err: { code: number; stderr: string }) => err);
    expect(both).toMatchObject({ code: 2, stderr: expect.stringContaining('name exactly one of --user U, --token-file F, --token T') });
  });
});
