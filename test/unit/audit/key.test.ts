import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { AuditKey, resolveAuditKey } from '../../../src/audit/key';
import { Secret } from '../../../src/config/secret';
import { serverSchema } from '../../../src/config/schema';
import { withEnv } from '../../../src/config/secret';

describe('the audit key', () => {
  test('with nothing configured, start creates one in the data dir (0600) and then reuses it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'klaxon-key-'));
    const first = resolveAuditKey({ env: {}, dataDir, create: true });
    expect(first.created).toBe(true);
    expect(statSync(join(dataDir, 'audit.key')).mode & 0o777).toBe(0o600);
    const again = resolveAuditKey({ env: {}, dataDir, create: true });
    expect(again).toMatchObject({ created: false, key: { id: first.key.id } });
  });

  test('the CLI never invents one: it says where a key can come from', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'klaxon-key-'));
    expect(() => resolveAuditKey({ env: {}, dataDir, create: false })).toThrow(/no audit key: set server.auditKey or KLAXON_AUDIT_KEY/);
  });

  test('server.auditKey wins over the environment, the environment over the file', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'klaxon-key-'));
    writeFileSync(join(dataDir, 'audit.key'), 'f'.repeat(40));
    const env = { KLAXON_AUDIT_KEY: 'e'.repeat(40) };
    const configured = new Secret('MY_KEY', 'c'.repeat(40));
    expect(resolveAuditKey({ configured, env, dataDir, create: false }).key.id).toBe(new AuditKey('c'.repeat(40), 'x').id);
    expect(resolveAuditKey({ env, dataDir, create: false }).key.id).toBe(new AuditKey('e'.repeat(40), 'x').id);
    expect(resolveAuditKey({ env: {}, dataDir, create: false }).key.id).toBe(new AuditKey('f'.repeat(40), 'x').id);
  });

  test('a short key is refused with the field and reason, and a key never prints', () => {
    const r = withEnv({ K: 'short' }, () => serverSchema.safeParse({ auditKey: '${K}' }));
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['auditKey'], message: expect.stringContaining('must be at least 32 characters') });
    expect(() => new AuditKey('short', 'KLAXON_AUDIT_KEY')).toThrow('audit key from KLAXON_AUDIT_KEY is too short');
    const key = new AuditKey('the-secret-audit-key-material-0123456789', 'test');
    expect(`${key} ${JSON.stringify({ key })} ${inspect(key)}`).not.toContain('the-secret');
  });
});
