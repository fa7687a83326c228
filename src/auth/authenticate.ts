import { decodeJwt } from 'jose';
import type { AuthConfig } from '../config/auth';
import type { ConfigStore } from '../config/store';
import type { Logger } from '../logger';
import { bearerToken, tenantForApiToken } from './bearer';
import { Keyring } from './keyring';
import { OidcVerifier } from './oidc';
import { PERMISSIONS } from './permissions';
import { AuthError, verifyKlaxonToken, type Principal } from './tokens';
import type { RevocationList } from './revocations';

/** The actor recorded for the deprecated shared tenant token: it says who it is not. */
export const API_TOKEN_ACTOR = 'api-token';

interface Verifiers {
  ring: Keyring;
  oidc: Map<string, OidcVerifier>;
}

/**
 * Bearer token → Principal, or an AuthError saying why not. The token's issuer picks the verifier:
 * Klaxon's own (`server.auth.issuer`, the keyring) or a configured identity provider. Follows
 * config reloads (SIGHUP): keyring and providers are rebuilt when `server.auth` changes.
 */
export class Authenticator {
  readonly #built = new WeakMap<AuthConfig, Verifiers>();
  readonly #warned = new Set<string>();

  constructor(
    private readonly config: ConfigStore,
    private readonly log: Logger,
    /** Revoked tokens (`klaxon token revoke`): Klaxon's own and an identity provider's alike. */
    private readonly revocations?: Pick<RevocationList, 'revoked'>,
  ) {}

  /** The current keyring (also builds it, so a bad key fails at start rather than on the first request). */
  keyring(): Keyring {
    return this.#verifiers().ring;
  }

  async authenticate(header: string | undefined): Promise<Principal> {
    const token = bearerToken(header);
    if (!token) throw new AuthError(401, header ? 'the authorization header must be "Bearer <token>"' : 'missing bearer token (Authorization: Bearer <token>)');
    const { tenants, server } = this.config.config;
    const legacy = tenantForApiToken(tenants, header);
    if (legacy) {
      if (!this.#warned.has(legacy)) {
        this.#warned.add(legacy);
        this.log.warn({ tenant: legacy }, 'deprecated: the tenant API token (tenants.<t>.api.token) was used; it has every permission and is recorded as actor "api-token". Issue per-user tokens with `klaxon token issue` (README: Authentication)');
      }
      return { tenant: legacy, subject: API_TOKEN_ACTOR, permissions: [...PERMISSIONS], via: 'api-token' };
    }
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new AuthError(401, 'invalid bearer token: neither a tenant API token nor a JWT');
    }
    const auth = server.auth;
    const v = this.#verifiers();
    let principal: Principal;
    if (issuer === auth.issuer) {
      principal = await verifyKlaxonToken(v.ring, token, { issuer: auth.issuer, audience: auth.audience, clockToleranceMs: auth.clockTolerance });
    } else {
      const provider = issuer === undefined ? undefined : v.oidc.get(issuer);
      if (!provider) throw new AuthError(401, issuer === undefined ? 'token has no issuer (iss)' : `token issuer "${issuer}" is not trusted (server.auth.issuer or server.auth.oidc)`);
      principal = await provider.verify(token);
    }
    // A valid token for a tenant this server does not have: authenticated, but nothing to act on.
    if (!Object.hasOwn(tenants, principal.tenant)) throw new AuthError(403, `the token's tenant "${principal.tenant}" is not configured here`);
    const revoked = this.revocations?.revoked(principal);
    if (revoked) throw new AuthError(401, `token revoked at ${revoked.revokedAt}${revoked.reason ? ` (${revoked.reason})` : ''}`);
    return principal;
  }

  #verifiers(): Verifiers {
    const auth = this.config.config.server.auth;
    let v = this.#built.get(auth);
    if (!v) {
      v = { ring: Keyring.fromConfig(auth.keys), oidc: new Map(auth.oidc.map((p) => [p.issuer, new OidcVerifier(p, auth.clockTolerance)])) };
      this.#built.set(auth, v);
    }
    return v;
  }
}
