import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { EncryptionCodec, ENCODING_ENCRYPTED, METADATA_CIPHER, METADATA_KEY_ID, PayloadDecryptionError } from '../../../src/crypto/codec';
import { CIPHERS, Keyring, newKey, parseKeyring } from '../../../src/crypto/keyring';
import { activateKeyInFile, loadKeyring, rotateKeyFile } from '../../../src/crypto/keySource';

const incident = { labels: { alertname: 'DiskFull', instance: 'db-7.secret.internal' }, recipient: { email: 'alice@example.com' } };
const plain = () => defaultPayloadConverter.toPayload(incident) as Payload;
const str = (b?: Uint8Array | null) => Buffer.from(b ?? []).toString();
const keyText = (k: Keyring) => k.ids().map((id) => k.get(id)!.toString('base64'));

async function decodeError(codec: EncryptionCodec, p: Payload): Promise<Error> {
  return codec.decode([p]).then(
    () => {
      throw new Error('decoded');
    },
    (err: Error) => err,
  );
}

describe('payload encryption codec', () => {
  test.each(CIPHERS)('%s: a payload round-trips, and what Temporal stores names the key and cipher but shows no plaintext', async (cipher) => {
    const keyring = new Keyring([newKey()]);
    const codec = new EncryptionCodec(keyring, cipher);
    const [enc] = await codec.encode([plain()]);
    expect(str(enc.metadata!.encoding)).toBe(ENCODING_ENCRYPTED);
    expect(str(enc.metadata![METADATA_KEY_ID])).toBe(keyring.active.id);
    expect(str(enc.metadata![METADATA_CIPHER])).toBe(cipher);
    expect(str(enc.data)).not.toContain('secret.internal');
    expect(str(enc.data)).not.toContain('alice@example.com');
    expect(JSON.stringify(enc.metadata)).not.toContain('json/plain');
    const [dec] = await codec.decode([enc]);
    expect(defaultPayloadConverter.fromPayload(dec)).toEqual(incident);
    expect(str(dec.metadata!.encoding)).toBe('json/plain');
  });

  test('the same value encrypts differently each time (fresh nonce)', async () => {
    const codec = new EncryptionCodec(new Keyring([newKey()]));
    const [a, b] = await codec.encode([plain(), plain()]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  });

  test('a payload written before encryption was on passes through decode unchanged', async () => {
    const codec = new EncryptionCodec(new Keyring([newKey()]));
    const old = plain();
    const [dec] = await codec.decode([old]);
    expect(dec).toBe(old);
    expect(await codec.decode([])).toEqual([]);
  });

  test.each(CIPHERS)('%s: a tampered payload is refused with a clear error', async (cipher) => {
    const codec = new EncryptionCodec(new Keyring([newKey()]), cipher);
    const [enc] = await codec.encode([plain()]);
    const data = Buffer.from(enc.data!);
    data[20] ^= 1;
    const err = await decodeError(codec, { ...enc, data });
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect(err.message).toMatch(/failed authentication/);
    expect(err.message).toContain(codec.activeKeyId);
  });

  test('swapping the recorded cipher is caught (key id and cipher are authenticated)', async () => {
    const codec = new EncryptionCodec(new Keyring([newKey()]), 'aes-256-gcm');
    const [enc] = await codec.encode([plain()]);
    const swapped = { ...enc, metadata: { ...enc.metadata, [METADATA_CIPHER]: Buffer.from('chacha20-poly1305') } };
    expect((await decodeError(codec, swapped)).message).toMatch(/failed authentication/);
    const unknown = { ...enc, metadata: { ...enc.metadata, [METADATA_CIPHER]: Buffer.from('rot13') } };
    expect((await decodeError(codec, unknown)).message).toMatch(/unknown cipher "rot13"/);
  });

  test('a payload under a key this keyring lacks names that key id, and never a key', async () => {
    const writer = new Keyring([newKey()]);
    const reader = new Keyring([newKey(), newKey()]);
    const [enc] = await new EncryptionCodec(writer).encode([plain()]);
    const err = await decodeError(new EncryptionCodec(reader), enc);
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect(err.message).toContain(`"${writer.active.id}"`);
    expect(err.message).toMatch(/not in this keyring/);
    for (const k of [...keyText(writer), ...keyText(reader)]) expect(err.message).not.toContain(k);
  });

  test('after a rotation the new key encrypts and payloads under the old key still decode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-keys-'));
    const first = loadKeyring({ KLAXON_DATA_DIR: dir });
    const codec = new EncryptionCodec(first.keyring);
    const [old] = await codec.encode([plain()]);

    const rotated = rotateKeyFile(join(dir, 'encryption.keys'));
    expect(rotated.id).not.toBe(first.keyring.active.id);
    const after = loadKeyring({ KLAXON_DATA_DIR: dir });
    expect(after.source).toMatchObject({ kind: 'file', created: false });
    codec.useKeyring(after.keyring);

    const [fresh] = await codec.encode([plain()]);
    expect(str(fresh.metadata![METADATA_KEY_ID])).toBe(rotated.id);
    expect(str(old.metadata![METADATA_KEY_ID])).toBe(first.keyring.active.id);
    expect(defaultPayloadConverter.fromPayload((await codec.decode([old]))[0])).toEqual(incident);
    expect(defaultPayloadConverter.fromPayload((await codec.decode([fresh]))[0])).toEqual(incident);
    expect(statSync(join(dir, 'encryption.keys')).mode & 0o777).toBe(0o600);
  });
});

describe('encryption keys', () => {
  test('without configured keys a start creates one keyring in the data dir (mode 0600) and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-keys-'));
    const a = loadKeyring({ KLAXON_DATA_DIR: dir });
    expect(a.source).toEqual({ kind: 'file', file: join(dir, 'encryption.keys'), created: true });
    expect(statSync(join(dir, 'encryption.keys')).mode & 0o777).toBe(0o600);
    const b = loadKeyring({ KLAXON_DATA_DIR: dir });
    expect(b.source).toMatchObject({ created: false });
    expect(b.keyring.active.id).toBe(a.keyring.active.id);
    expect(readFileSync(join(dir, 'encryption.keys'), 'utf8')).toMatch(/^# Klaxon payload encryption keys/);
  });

  test('keys from the environment or a file: the last entry encrypts', () => {
    const [k1, k2] = [newKey(), newKey()];
    const text = `${k1.id}:${k1.key.toString('base64')},${k2.id}:${k2.key.toString('base64')}`;
    expect(loadKeyring({ KLAXON_DATA_DIR: '/nonexistent', KLAXON_ENCRYPTION_KEYS: text }).keyring.active.id).toBe(k2.id);
    const file = join(mkdtempSync(join(tmpdir(), 'klaxon-keys-')), 'keys');
    writeFileSync(file, `# comment, with a comma\n${k2.id}:${k2.key.toString('base64')}\n\n${k1.id}:${k1.key.toString('base64')}\n`);
    const fromFile = loadKeyring({ KLAXON_DATA_DIR: '/nonexistent', KLAXON_ENCRYPTION_KEYS_FILE: file });
    expect(fromFile.keyring.ids()).toEqual([k2.id, k1.id]);
    expect(fromFile.keyring.active.id).toBe(k1.id);
  });

  test('bad keys are refused with the entry and the reason, never the key material', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    expect(() => parseKeyring(`a:${short}`, 'KLAXON_ENCRYPTION_KEYS')).toThrow('KLAXON_ENCRYPTION_KEYS: key "a": must be 32 bytes (base64), got 16');
    try {
      parseKeyring(`a:${short}`, 'KLAXON_ENCRYPTION_KEYS');
    } catch (err) {
      expect((err as Error).message).not.toContain(short);
    }
    const k = newKey().key.toString('base64');
    expect(() => parseKeyring(`a:${k},a:${k}`, 'X')).toThrow('X: key 2: id "a" appears twice');
    expect(() => parseKeyring(k, 'X')).toThrow('X: entry 1: expected "<key id>:<base64 key>"');
    expect(() => parseKeyring('bad id!:' + k, 'X')).toThrow(/id "bad id!" must be/);
    expect(() => parseKeyring('', 'X')).toThrow('X: no keys');
    expect(() => loadKeyring({ KLAXON_DATA_DIR: '.', KLAXON_ENCRYPTION_KEYS: `a:${k}`, KLAXON_ENCRYPTION_KEYS_FILE: '/x' })).toThrow(/both set/);
    expect(() => loadKeyring({ KLAXON_DATA_DIR: '.', KLAXON_ENCRYPTION_KEYS_FILE: '/nonexistent/keys' })).toThrow(/KLAXON_ENCRYPTION_KEYS_FILE \(\/nonexistent\/keys\): cannot read the keys file \(no such file\)/);
  });
});

describe('rotation across replicas', () => {
  test('a staged key decrypts before it encrypts; activated, it encrypts and the old key still decrypts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-keys-'));
    const file = join(dir, 'encryption.keys');
    const old = loadKeyring({ KLAXON_DATA_DIR: dir }).keyring;
    const staged = rotateKeyFile(file, { stage: true });
    const afterStage = loadKeyring({ KLAXON_DATA_DIR: dir }).keyring;
    // Still the old key encrypts: a replica that has not reloaded yet reads everything written now.
    expect(afterStage.active.id).toBe(old.active.id);
    expect(afterStage.get(staged.id)).toBeDefined();

    activateKeyInFile(file, staged.id);
    const activated = loadKeyring({ KLAXON_DATA_DIR: dir }).keyring;
    expect(activated.active.id).toBe(staged.id);
    const [fresh] = await new EncryptionCodec(activated).encode([plain()]);
    // A replica still on the staged keyring reads the new key's payloads.
    expect(defaultPayloadConverter.fromPayload((await new EncryptionCodec(afterStage).decode([fresh]))[0])).toEqual(incident);
    const [before] = await new EncryptionCodec(old).encode([plain()]);
    expect(defaultPayloadConverter.fromPayload((await new EncryptionCodec(activated).decode([before]))[0])).toEqual(incident);
    expect(() => activateKeyInFile(file, 'nope')).toThrow(/no key "nope"/);
  });
});
