import { randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Keyring } from './keyring';
import { permissionsFromClaim, type Permission } from './permissions';

/** Who is calling, as established from the bearer token. `subject` is the actor in the audit. */
export interface Principal {
  tenant: string;
  subject: string;
  permissions: Permission[];
  /** Which credential: Klaxon's own token, an identity provider's (its issuer), or the deprecated tenant token. */
  via: 'klaxon' | 'oidc' | 'api-token';
  issuer?: string;
  /** The token's own id (`jti`) and issue time (`iat`), when it has them: what a revocation names. */
  tokenId?: string;
  issuedAt?: Date;
}

/** `jti` and `iat` of a verified token, as a Principal carries them. */
export function tokenIdentity(payload: JWTPayload): Pick<Principal, 'tokenId' | 'issuedAt'> {
  return {
    ...(typeof payload.jti === 'string' && payload.jti ? { tokenId: payload.jti } : {}),
    ...(typeof payload.iat === 'number' ? { issuedAt: new Date(payload.iat * 1000) } : {}),
  };
}

/** Why a request is refused before it reaches its route: 401 (who are you?), 403, or 503 (the IdP's keys are unreachable). */
export class AuthError extends Error {
  constructor(readonly status: 401 | 403 | 503, message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

/** Claims Klaxon writes besides the registered ones (`sub` is the user). */
export const TENANT_CLAIM = 'tenant';
export const PERMISSIONS_CLAIM = 'permissions';

export interface IssueOptions {
  issuer: string;
  audience: string;
  tenant: string;
  user: string;
  permissions: Permission[];
  ttlMs: number;
  now?: Date;
}

/** A token signed with the keyring's newest key; it carries that key's id (`kid`) in its header. */
export async function issueToken(ring: Keyring, o: IssueOptions): Promise<{ token: string; kid: string; jti: string; expiresAt: Date }> {
  const key = ring.signing;
  if (!key) throw new Error('no signing key: configure server.auth.keys (see `klaxon token keygen`)');
  const iat = Math.floor((o.now ?? new Date()).getTime() / 1000);
  const exp = iat + Math.max(1, Math.round(o.ttlMs / 1000));
  const jti = randomUUID();
  const token = await new SignJWT({ [TENANT_CLAIM]: o.tenant, [PERMISSIONS_CLAIM]: o.permissions })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.user)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    // A unique id, so a revocation can name this one token (src/auth/revocations.ts).
    .setJti(jti)
    .sign(key.privateKey);
  return { token, kid: key.kid, jti, expiresAt: new Date(exp * 1000) };
}

/** Verifies a token of Klaxon's own issuer against the keyring; throws AuthError with the reason. */
export async function verifyKlaxonToken(ring: Keyring, token: string, o: { issuer: string; audience: string; clockToleranceMs: number }): Promise<Principal> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      async (header) => {
        const key = ring.find(header.kid);
        if (!key) throw new AuthError(401, header.kid ? `token signed with unknown key id "${header.kid}" (removed from server.auth.keys, or not Klaxon's)` : 'token has no key id (kid) in its header');
        if (header.alg !== key.alg) throw new AuthError(401, `token algorithm "${header.alg}" does not match key "${key.kid}" (${key.alg})`);
        return key.publicKey;
      },
      { issuer: o.issuer, audience: o.audience, algorithms: ['EdDSA', 'ES256'], requiredClaims: ['exp', 'sub'], clockTolerance: Math.round(o.clockToleranceMs / 1000) },
    ));
  } catch (err) {
    throw asAuthError(err);
  }
  const tenant = payload[TENANT_CLAIM];
  if (typeof tenant !== 'string' || !tenant) throw new AuthError(401, `token has no "${TENANT_CLAIM}" claim`);
  return { tenant, subject: payload.sub!, permissions: permissionsFromClaim(payload[PERMISSIONS_CLAIM]), via: 'klaxon', issuer: o.issuer, ...tokenIdentity(payload) };
}

/**
 * jose's failures as a person reads them. The token itself is never quoted (it is a credential);
 * claim names, key ids and times are.
 */
export function asAuthError(err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  if (err instanceof errors.JWTExpired) {
    const exp = typeof err.payload.exp === 'number' ? ` at ${new Date(err.payload.exp * 1000).toISOString()}` : '';
    return new AuthError(401, `token expired${exp}`);
  }
  if (err instanceof errors.JWTClaimValidationFailed) return new AuthError(401, `token refused: ${err.message}`);
  if (err instanceof errors.JWSSignatureVerificationFailed) return new AuthError(401, 'token signature is invalid');
  if (err instanceof errors.JOSEAlgNotAllowed) return new AuthError(401, 'token refused: its signature algorithm (alg) is not accepted here');
  if (err instanceof errors.JWKSNoMatchingKey) return new AuthError(401, "token signed with a key id the identity provider's key set does not have");
  if (err instanceof errors.JWKSMultipleMatchingKeys) return new AuthError(401, "token's key id matches several keys of the identity provider");
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || isFetchFailure(err)) {
    return new AuthError(503, "the identity provider's key set (jwksUrl) could not be fetched; retry");
  }
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return new AuthError(401, `malformed token: ${err.message}`);
  if (err instanceof errors.JOSEError) return new AuthError(401, `token refused: ${err.message}`);
  throw err;
}

/** jose's remote key set rejects with fetch's own errors (connection refused) or its own (not 200, not JSON). */
function isFetchFailure(err: unknown): boolean {
  if (err instanceof TypeError) return /fetch failed/i.test(err.message);
  return err instanceof Error && /JSON Web Key Set HTTP response/i.test(err.message);
}
