import { z } from 'zod';
import { secret } from './secret';
import { duration } from './durationSchema';
import { parsePrivateKey } from '../auth/keyring';

/**
 * Who may call the API (`server.auth`): Klaxon's own signed tokens (`klaxon token issue`) and
 * tokens of external identity providers (OIDC, checked against their JWKS). The tenants'
 * `api.token` still works as a deprecated admin credential.
 */

const kid = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'use letters, digits, ".", "_" and "-" (max 64)');

/** One signing key. `privateKey` is PKCS#8 PEM or a private JWK, Ed25519 or P-256. */
export const signingKeySchema = z
  .object({
    /** Key id written into each token's header; default: the key's RFC 7638 thumbprint. */
    kid: kid.optional(),
    privateKey: secret(),
  })
  .strict()
  .superRefine((k, ctx) => {
    try {
      parsePrivateKey(k.privateKey.reveal());
    } catch (err) {
      // KeyError messages never quote the key.
      ctx.addIssue({ code: 'custom', path: ['privateKey'], message: `${k.privateKey.envVar}: ${(err as Error).message}` });
    }
  });

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

/** An external identity provider whose tokens the API accepts. */
export const oidcProviderSchema = z
  .object({
    /** Must equal the token's `iss` exactly; picks this provider for a token. */
    issuer: z.string().min(1),
    /** The token's `aud` must contain it (the client id or API identifier registered at the provider). */
    audience: z.string().min(1),
    /** Where the provider publishes its public keys (its discovery document's `jwks_uri`). */
    jwksUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    /** Claim naming the Klaxon tenant; or set `tenant` when every token of this provider is one tenant's. */
    tenantClaim: z.string().min(1).default('tenant'),
    tenant: z.string().optional(),
    /** Claim with the permissions: an array, or a space/comma separated string such as `scope`. */
    permissionsClaim: z.string().min(1).default('permissions'),
    /** Only values with this prefix count (`klaxon:` for a scope of `klaxon:read klaxon:write`). */
    permissionPrefix: z.string().default(''),
    /** Claim recorded as the actor in the audit (e.g. `email` or `preferred_username`). */
    subjectClaim: z.string().min(1).default('sub'),
    /** Accepted signature algorithms; symmetric ones are never accepted from a public key set. */
    algorithms: z.array(z.enum(ASYMMETRIC)).min(1).default(['RS256', 'ES256', 'EdDSA']),
  })
  .strict();

export const authSchema = z
  .object({
    /** Klaxon's token signing keys: the first signs, all verify. Rotate by adding a new key first. */
    keys: z.array(signingKeySchema).default([]),
    /** `iss` and `aud` of Klaxon's own tokens. */
    issuer: z.string().min(1).default('klaxon'),
    audience: z.string().min(1).default('klaxon-api'),
    /** Longest `--ttl` `klaxon token issue` accepts. */
    maxTtl: duration().prefault('365d'),
    /** Allowed clock difference between the token's issuer and this server. */
    clockTolerance: duration().prefault('30s'),
    oidc: z.array(oidcProviderSchema).default([]),
  })
  .strict()
  .superRefine((a, ctx) => {
    const seen = new Map<string, number>();
    a.keys.forEach((k, i) => {
      if (!k.kid) return;
      if (seen.has(k.kid)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'kid'], message: `key id "${k.kid}" is already used by keys.${seen.get(k.kid)}` });
      else seen.set(k.kid, i);
    });
    const issuers = new Map<string, number>();
    a.oidc.forEach((p, i) => {
      if (p.issuer === a.issuer) ctx.addIssue({ code: 'custom', path: ['oidc', i, 'issuer'], message: `"${p.issuer}" is Klaxon's own issuer (server.auth.issuer)` });
      else if (issuers.has(p.issuer)) ctx.addIssue({ code: 'custom', path: ['oidc', i, 'issuer'], message: `issuer "${p.issuer}" is already configured at oidc.${issuers.get(p.issuer)}` });
      else issuers.set(p.issuer, i);
    });
  });

export type AuthConfig = z.infer<typeof authSchema>;
export type OidcProviderConfig = z.infer<typeof oidcProviderSchema>;
