import { grants, parsePermissions, permissionsFromClaim, PERMISSIONS } from '../../../src/auth/permissions';

describe('permissions', () => {
  test('a typed list is read strictly, deduplicated and put in the canonical order', () => {
    expect(parsePermissions('write, read,read')).toEqual(['read', 'write']);
    expect(parsePermissions('read,write,escalate,admin')).toEqual([...PERMISSIONS]);
  });

  test('a typo is an error that names it and the choices, never a token with less than meant', () => {
    expect(() => parsePermissions('read,wrte')).toThrow('unknown permission "wrte" (use some of read, write, escalate, admin)');
    expect(() => parsePermissions('root,god')).toThrow('unknown permissions "root", "god"');
    expect(() => parsePermissions(' , ')).toThrow('no permission given');
  });

  test("an identity provider's claim may be an array or a scope string; values that are not Klaxon's are ignored", () => {
    expect(permissionsFromClaim(['read', 'openid', 'write'])).toEqual(['read', 'write']);
    expect(permissionsFromClaim('openid klaxon:read klaxon:escalate profile', 'klaxon:')).toEqual(['read', 'escalate']);
    expect(permissionsFromClaim('read,write')).toEqual(['read', 'write']);
    expect(permissionsFromClaim(undefined)).toEqual([]);
    expect(permissionsFromClaim({ read: true })).toEqual([]);
    expect(permissionsFromClaim([1, null, 'admin'])).toEqual(['admin']);
  });

  test('admin implies every permission; the others only themselves', () => {
    for (const p of PERMISSIONS) expect(grants(['admin'], p)).toBe(true);
    expect(grants(['read'], 'write')).toBe(false);
    expect(grants(['write'], 'escalate')).toBe(false);
    expect(grants(['read', 'escalate'], 'escalate')).toBe(true);
    expect(grants([], 'read')).toBe(false);
  });
});
