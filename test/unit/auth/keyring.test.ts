import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { generateSigningKey, Keyring, parsePrivateKey, ringKey, thumbprint } from '../../../src/auth/keyring';
import { issueToken, verifyKlaxonToken, AuthError } from '../../../src/auth/tokens';

const opts = { issuer: 'klaxon', audience: 'klaxon-api', clockToleranceMs: 0 };
const issue = (ring: Keyring, extra: Partial<Parameters<typeof issueToken>[1]> = {}) =>
  issueToken(ring, { issuer: 'klaxon', audience: 'klaxon-api', tenant: 'acme', user: 'alice', permissions: ['read', 'write'], ttlMs: 3_600_000, ...extra });
const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: AuthError) => `${err.status} ${err.message}`);

describe('the token keyring', () => {
  const old = generateSigningKey();
  const next = generateSigningKey();

  test('the first key signs and names itself in the header; the token carries tenant, user and permissions', async () => {
    const ring = new Keyring([ringKey(old.pem, 'k1')]);
    const { token, kid, jti } = await issue(ring);
    expect(kid).toBe('k1');
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' });
    // Its id and issue time too: what a revocation names (src/auth/revocations.ts).
    expect(await verifyKlaxonToken(ring, token, opts)).toEqual({ tenant: 'acme', subject: 'alice', permissions: ['read', 'write'], via: 'klaxon', issuer: 'klaxon', tokenId: jti, issuedAt: expect.any(Date) });
  });

  test('rotation: after a new key is put first, tokens of the old key still verify and new tokens use the new key', async () => {
    const before = new Keyring([ringKey(old.pem, 'k1')]);
    const { token: oldToken } = await issue(before);
    const rotated = new Keyring([ringKey(next.pem, 'k2'), ringKey(old.pem, 'k1')]);
    expect((await verifyKlaxonToken(rotated, oldToken, opts)).subject).toBe('alice');
    const { kid } = await issue(rotated, { user: 'bob' });
    expect(kid).toBe('k2');
    // Once the old key is removed, its tokens stop working, with a reason that says so.
    const retired = new Keyring([ringKey(next.pem, 'k2')]);
    expect(await refusal(verifyKlaxonToken(retired, oldToken, opts))).toBe('401 token signed with unknown key id "k1" (removed from server.auth.keys, or not Klaxon\'s)');
  });

  test('expired, forged, re-labelled and foreign tokens are refused with the reason', async () => {
    const ring = new Keyring([ringKey(old.pem, 'k1')]);
    const { token: expired } = await issue(ring, { now: new Date(Date.now() - 7_200_000) });
    expect(await refusal(verifyKlaxonToken(ring, expired, opts))).toMatch(/^401 token expired at \d{4}-/);

    // Same kid, different key: the signature does not verify.
    const forger = new Keyring([ringKey(next.pem, 'k1')]);
    const { token: forged } = await issue(forger);
    expect(await refusal(verifyKlaxonToken(ring, forged, opts))).toBe('401 token signature is invalid');

    const { token } = await issue(ring);
    const [h, p, s] = token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), permissions: ['admin'] })).toString('base64url')}.${s}`;
    expect(await refusal(verifyKlaxonToken(ring, tampered, opts))).toBe('401 token signature is invalid');

    const { token: otherAudience } = await issue(ring, { audience: 'someone-else' });
    expect(await refusal(verifyKlaxonToken(ring, otherAudience, opts))).toBe('401 token refused: unexpected "aud" claim value');

    // HS256 with the public key as the HMAC secret (the classic algorithm confusion) is refused.
    const confused = await new SignJWT({ tenant: 'acme' }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setSubject('mallory').setIssuer('klaxon').setAudience('klaxon-api').setExpirationTime('1h')
      .sign(ring.keys[0].publicKey.export({ format: 'der', type: 'spki' }));
    expect(await refusal(verifyKlaxonToken(ring, confused, opts))).toBe('401 token refused: its signature algorithm (alg) is not accepted here');
  });

  test('keys are Ed25519 or P-256, as PEM, one-line PEM or JWK; anything else is refused without quoting it', () => {
    expect(parsePrivateKey(old.pem).alg).toBe('EdDSA');
    expect(parsePrivateKey(old.pem.replace(/\n/g, '\\n')).alg).toBe('EdDSA');
    expect(parsePrivateKey(generateSigningKey('ES256').pem).alg).toBe('ES256');
    const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    expect(parsePrivateKey(JSON.stringify(jwk)).alg).toBe('EdDSA');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => parsePrivateKey(rsa)).toThrow('a rsa key: use Ed25519 (EdDSA, recommended) or P-256 (ES256)');
    expect(() => parsePrivateKey('hunter2-not-a-key')).toThrow('not a private key: expected PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") or a private JWK');
    try {
      parsePrivateKey('{"d": "hunter2-not-a-key"');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  test('the default key id is the RFC 7638 thumbprint; a key id used twice is refused; the JWK Set holds public keys only', () => {
    const k = ringKey(old.pem);
    expect(k.kid).toBe(old.kid);
    expect(k.kid).toBe(thumbprint(k.publicKey));
    expect(() => new Keyring([ringKey(old.pem, 'x'), ringKey(next.pem, 'x')])).toThrow('key id "x" is used twice');
    const jwks = new Keyring([ringKey(next.pem, 'k2'), k]).jwks();
    expect(jwks.keys.map((j) => j.kid)).toEqual(['k2', old.kid]);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwks.keys.some((j) => 'd' in j)).toBe(false);
  });

  test('without a key nothing can be issued', async () => {
    await expect(issue(new Keyring([]))).rejects.toThrow('no signing key: configure server.auth.keys');
  });
});
