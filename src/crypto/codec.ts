import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CIPHERS, DEFAULT_CIPHER, type Cipher, type Keyring } from './keyring';

/** The encoding Temporal's samples and tools use for encrypted payloads (the Web UI shows it as such). */
export const ENCODING_ENCRYPTED = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
export const METADATA_CIPHER = 'encryption-cipher';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A payload that cannot be decrypted; the message names the key id and cipher, never key material. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

/**
 * Encrypts every payload Klaxon writes to Temporal: the whole Payload message (its metadata too,
 * so even the original encoding is hidden) becomes `nonce ‖ ciphertext ‖ tag` under the keyring's
 * active key. The key id and cipher travel in the outer metadata, and are bound to the ciphertext
 * as additional data, so neither can be swapped without the tag failing.
 *
 * Payloads without the encrypted encoding pass through decode untouched: histories written before
 * encryption was on (and workflows still running from then) keep replaying.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    private keyring: Keyring,
    readonly cipher: Cipher = DEFAULT_CIPHER,
  ) {}

  /** Swaps in a reloaded keyring (after `klaxon keys rotate` and SIGHUP); payloads already written keep their key id. */
  useKeyring(keyring: Keyring): void {
    this.keyring = keyring;
  }

  get activeKeyId(): string {
    return this.keyring.active.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encryptOne(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => (text(p.metadata?.[METADATA_ENCODING_KEY]) === ENCODING_ENCRYPTED ? this.decryptOne(p) : p));
  }

  private encryptOne(payload: Payload): Payload {
    const { id, key } = this.keyring.active;
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv(this.cipher as CipherGCMTypes, key, nonce, { authTagLength: TAG_BYTES });
    c.setAAD(additionalData(this.cipher, id));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const data = Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCODING_ENCRYPTED),
        [METADATA_KEY_ID]: Buffer.from(id),
        [METADATA_CIPHER]: Buffer.from(this.cipher),
      },
      data,
    };
  }

  private decryptOne(payload: Payload): Payload {
    const id = text(payload.metadata?.[METADATA_KEY_ID]);
    if (!id) throw new PayloadDecryptionError(`encrypted payload has no ${METADATA_KEY_ID} metadata`);
    // Payloads from before the cipher was recorded could only be AES-GCM.
    const cipher = text(payload.metadata?.[METADATA_CIPHER]) ?? DEFAULT_CIPHER;
    if (!(CIPHERS as readonly string[]).includes(cipher)) throw new PayloadDecryptionError(`encrypted payload (key "${id}") uses unknown cipher "${cipher}"`);
    const key = this.keyring.get(id);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload was encrypted with key "${id}", which is not in this keyring (keys: ${this.keyring.ids().join(', ')}); ` +
          'add that key back to KLAXON_ENCRYPTION_KEYS or the keys file',
      );
    }
    const data = Buffer.from(payload.data ?? []);
    if (data.length < NONCE_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`encrypted payload (key "${id}", ${cipher}) is too short (${data.length} bytes)`);
    try {
      const d = createDecipheriv(cipher as CipherGCMTypes, key, data.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
      d.setAAD(additionalData(cipher as Cipher, id));
      d.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([d.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), d.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    } catch {
      throw new PayloadDecryptionError(`encrypted payload failed authentication (key "${id}", ${cipher}): it was altered, or encrypted under a different key with that id`);
    }
  }
}

function additionalData(cipher: Cipher, keyId: string): Buffer {
  return Buffer.from(`klaxon-payload/v1\0${cipher}\0${keyId}`);
}
