import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';

/**
 * Klaxon's token signing keys. Asymmetric on purpose: the public half can be published
 * (GET /.well-known/jwks.json), so another service can check a Klaxon token without being able to
 * make one. Ed25519 (EdDSA) is the default (small keys, no per-signature randomness to get wrong);
 * P-256 (ES256) is accepted for verifiers that lack EdDSA.
 */
export type SigningAlg = 'EdDSA' | 'ES256';

export interface RingKey {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

/**
 * A private key from PKCS#8 PEM or a private JWK (JSON). A PEM squeezed onto one line with literal
 * `\n` (how keys often end up in env vars) is accepted too. Errors never quote the text: it is a
 * secret, and parser messages echo their input.
 */
export function parsePrivateKey(text: string): { privateKey: KeyObject; alg: SigningAlg } {
  let key: KeyObject;
  try {
    const t = text.trim();
    key = t.startsWith('{') ? createPrivateKey({ key: JSON.parse(t) as JsonWebKey, format: 'jwk' }) : createPrivateKey(t.includes('\n') ? t : t.replace(/\\n/g, '\n'));
  } catch {
    throw new KeyError('not a private key: expected PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") or a private JWK');
  }
  if (key.asymmetricKeyType === 'ed25519') return { privateKey: key, alg: 'EdDSA' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { privateKey: key, alg: 'ES256' };
  const what = key.asymmetricKeyType === 'ec' ? `an EC ${key.asymmetricKeyDetails?.namedCurve} key` : `a ${key.asymmetricKeyType} key`;
  throw new KeyError(`${what}: use Ed25519 (EdDSA, recommended) or P-256 (ES256)`);
}

/** RFC 7638 thumbprint of a public key: the default key id, the same wherever it is computed. */
export function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

export function ringKey(text: string, kid?: string): RingKey {
  const { privateKey, alg } = parsePrivateKey(text);
  const publicKey = createPublicKey(privateKey);
  return { kid: kid ?? thumbprint(publicKey), alg, privateKey, publicKey };
}

/**
 * The newest key (the first listed) signs; every listed key verifies. Rotation: put a new key
 * first, and remove the old one once the last token it signed has expired.
 */
export class Keyring {
  readonly #byKid = new Map<string, RingKey>();

  constructor(readonly keys: readonly RingKey[]) {
    for (const k of keys) {
      if (this.#byKid.has(k.kid)) throw new KeyError(`key id "${k.kid}" is used twice`);
      this.#byKid.set(k.kid, k);
    }
  }

  static fromConfig(keys: ReadonlyArray<{ kid?: string; privateKey: { reveal(): string } }>): Keyring {
    return new Keyring(keys.map((k) => ringKey(k.privateKey.reveal(), k.kid)));
  }

  /** The key new tokens are signed with; undefined when no key is configured. */
  get signing(): RingKey | undefined {
    return this.keys[0];
  }

  find(kid: string | undefined): RingKey | undefined {
    return kid === undefined ? undefined : this.#byKid.get(kid);
  }

  /** The public keys as a JWK Set, for external verifiers. */
  jwks(): { keys: Array<JsonWebKey & { kid: string; alg: SigningAlg; use: 'sig' }> } {
    return { keys: this.keys.map((k) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' as const })) };
  }
}

/** A new signing key as PKCS#8 PEM, with its default key id (`klaxon token keygen`). */
export function generateSigningKey(alg: SigningAlg = 'EdDSA'): { pem: string; kid: string } {
  const { privateKey, publicKey } = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), kid: thumbprint(publicKey) };
}
