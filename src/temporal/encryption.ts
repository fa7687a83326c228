import type { DataConverter } from '@temporalio/common';
import type { KlaxonEnv } from '../config/env';
import type { Logger } from '../logger';
import { EncryptionCodec } from '../crypto/codec';
import { loadKeyring, looseMode, type KeyringSource } from '../crypto/keySource';

/** Failure messages encrypted too (src/temporal/failureConverter.ts); the workflow bundle names the same module. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failureConverter');

export interface PayloadEncryption {
  codec: EncryptionCodec;
  /** For every Client and Worker Klaxon creates: what one writes, the other must read. */
  dataConverter: DataConverter;
  source: KeyringSource;
  /** Re-reads the keys (SIGHUP after `klaxon keys rotate`); a bad keyring keeps the old one and throws why. */
  reload(): void;
}

/**
 * Payload encryption for this process. Always on: without configured keys a keyring is created in
 * the data dir, and that is said once, with the file's path (never a key).
 */
export function payloadEncryption(env: KlaxonEnv, log?: Logger): PayloadEncryption {
  const { keyring, source } = loadKeyring(env);
  const codec = new EncryptionCodec(keyring, env.KLAXON_ENCRYPTION_CIPHER);
  if (source.kind === 'file' && source.created) {
    log?.info({ file: source.file, keyId: keyring.active.id }, 'created an encryption key for Temporal payloads; back this file up (without it incidents in Temporal cannot be read), or supply KLAXON_ENCRYPTION_KEYS_FILE in production');
  } else if (source.kind === 'file' && looseMode(source.file)) {
    log?.warn({ file: source.file }, 'the encryption keys file is readable by group or others; chmod 600 it');
  }
  log?.info({ keyId: keyring.active.id, keys: keyring.ids().length, cipher: codec.cipher, from: source.kind === 'env' ? 'KLAXON_ENCRYPTION_KEYS' : source.file }, 'payload encryption on');
  return {
    codec,
    dataConverter: { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH },
    source,
    reload() {
      codec.useKeyring(loadKeyring(env).keyring);
      log?.info({ keyId: codec.activeKeyId }, 'encryption keys reloaded');
    },
  };
}
