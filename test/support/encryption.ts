import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from '../../src/crypto/codec';
import { readKeyFile } from '../../src/crypto/keySource';
import { FAILURE_CONVERTER_PATH } from '../../src/temporal/encryption';

/** The fixture keyring (public, test only): replay histories recorded with encryption on are under it. */
export const FIXTURE_KEYS_FILE = join(__dirname, '..', 'fixtures', 'encryption.keys');

/** A data converter that encrypts under the fixture keyring, as Klaxon's own would under its keys. */
export function fixtureDataConverter(): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(readKeyFile(FIXTURE_KEYS_FILE, FIXTURE_KEYS_FILE))], failureConverterPath: FAILURE_CONVERTER_PATH };
}
