import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { OidcProviderConfig } from '../config/auth';
import { permissionsFromClaim } from './permissions';
import { AuthError, asAuthError, tokenIdentity, type Principal } from './tokens';

/**
 * Tokens of one external identity provider: signature against its published key set (fetched from
 * `jwksUrl`, cached, fetched again when a token names a key id it does not have yet, which is how
 * the provider's own key rotation reaches us), then issuer, audience and expiry, then the claims
 * mapped to tenant, permissions and actor.
 */
export class OidcVerifier {
  readonly #jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(readonly provider: OidcProviderConfig, private readonly clockToleranceMs: number) {
    this.#jwks = createRemoteJWKSet(new URL(provider.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  }

  async verify(token: string): Promise<Principal> {
    const p = this.provider;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#jwks, {
        issuer: p.issuer,
        audience: p.audience,
        algorithms: [...p.algorithms],
        requiredClaims: ['exp'],
        clockTolerance: Math.round(this.clockToleranceMs / 1000),
      }));
    } catch (err) {
      throw asAuthError(err);
    }
    const tenant = p.tenant ?? payload[p.tenantClaim];
    if (typeof tenant !== 'string' || !tenant) throw new AuthError(401, `token has no "${p.tenantClaim}" claim naming the tenant`);
    const subject = payload[p.subjectClaim];
    if (typeof subject !== 'string' || !subject) throw new AuthError(401, `token has no "${p.subjectClaim}" claim naming the user`);
    return { tenant, subject, permissions: permissionsFromClaim(payload[p.permissionsClaim], p.permissionPrefix), via: 'oidc', issuer: p.issuer, ...tokenIdentity(payload) };
  }
}
