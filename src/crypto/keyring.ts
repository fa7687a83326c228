import { randomBytes } from 'node:crypto';

/** AEAD ciphers from node:crypto; both take a 32-byte key, a 12-byte nonce and give a 16-byte tag. */
export const CIPHERS = ['aes-256-gcm', 'chacha20-poly1305'] as const;
export type Cipher = (typeof CIPHERS)[number];
export const DEFAULT_CIPHER: Cipher = 'aes-256-gcm';

export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface KeyEntry {
  id: string;
  key: Buffer;
}

/**
 * Encryption keys by id: the last one encrypts, every one decrypts. Rotation appends a key, so
 * payloads written under an older key stay readable for as long as that key is kept.
 */
export class Keyring {
  private readonly byId: Map<string, Buffer>;
  readonly active: KeyEntry;

  constructor(entries: KeyEntry[], source = 'keyring') {
    if (entries.length === 0) throw new Error(`${source}: no keys`);
    this.byId = new Map();
    entries.forEach((e, i) => {
      if (!KEY_ID.test(e.id)) throw new Error(`${source}: key ${i + 1}: id "${e.id}" must be 1-64 of A-Z a-z 0-9 . _ -`);
      if (this.byId.has(e.id)) throw new Error(`${source}: key ${i + 1}: id "${e.id}" appears twice`);
      if (e.key.length !== KEY_BYTES) throw new Error(`${source}: key "${e.id}": must be ${KEY_BYTES} bytes (base64), got ${e.key.length}`);
      this.byId.set(e.id, e.key);
    });
    this.active = entries[entries.length - 1];
  }

  get(id: string): Buffer | undefined {
    return this.byId.get(id);
  }

  /** Oldest first; the last is the active one. */
  ids(): string[] {
    return [...this.byId.keys()];
  }

  private entries(): KeyEntry[] {
    return this.ids().map((id) => ({ id, key: this.byId.get(id)! }));
  }

  /** A keyring with `entry` appended as the new active key. */
  with(entry: KeyEntry): Keyring {
    return new Keyring([...this.entries(), entry]);
  }

  /** A keyring with `entry` first: it decrypts but does not encrypt yet (the first step of a rotation across replicas). */
  staging(entry: KeyEntry): Keyring {
    return new Keyring([entry, ...this.entries()]);
  }

  /** A keyring with key `id` moved to the end, so it encrypts. */
  activating(id: string): Keyring {
    const key = this.byId.get(id);
    if (!key) throw new Error(`no key "${id}" (keys: ${this.ids().join(', ')})`);
    return new Keyring([...this.entries().filter((e) => e.id !== id), { id, key }]);
  }

  /** The text form `parseKeyring` reads: one `id:base64` a line, oldest first. */
  format(header = ''): string {
    const lines = this.ids().map((id) => `${id}:${this.byId.get(id)!.toString('base64')}`);
    return header + lines.join('\n') + '\n';
  }
}

/**
 * `id:base64key` entries, oldest first, separated by newlines or commas; blank lines and `#`
 * comments are skipped. Errors name the source and the entry, never the key material.
 */
export function parseKeyring(text: string, source: string): Keyring {
  const entries: KeyEntry[] = [];
  const parts = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  parts.forEach((part, i) => {
    const colon = part.indexOf(':');
    if (colon <= 0) throw new Error(`${source}: entry ${i + 1}: expected "<key id>:<base64 key>"`);
    const id = part.slice(0, colon).trim();
    const b64 = part.slice(colon + 1).trim();
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) throw new Error(`${source}: key "${id}": not base64`);
    entries.push({ id, key: Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64') });
  });
  return new Keyring(entries, source);
}

/** A fresh random key; its id sorts by creation day (`k20240601-1a2b3c`), which a rotation procedure can read. */
export function newKey(now = new Date()): KeyEntry {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  return { id: `k${day}-${randomBytes(3).toString('hex')}`, key: randomBytes(KEY_BYTES) };
}

export function parseCipher(value: string, source: string): Cipher {
  if ((CIPHERS as readonly string[]).includes(value)) return value as Cipher;
  throw new Error(`${source}: cipher "${value}" is not one of ${CIPHERS.join(', ')}`);
}
