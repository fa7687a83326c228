import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { newKey, parseKeyring, type Keyring } from './keyring';

/** The keyring `npm start` creates when no key is configured, in the data dir. */
export const DEFAULT_KEYS_FILE = 'encryption.keys';

const HEADER =
  '# Klaxon payload encryption keys: <key id>:<base64 32 bytes>, oldest first. The last line encrypts,\n' +
  '# every line decrypts. `klaxon keys rotate` appends a key. Losing a line makes the incidents written\n' +
  '# under it unreadable in Temporal: back this file up, keep it mode 0600.\n';

export interface KeySettings {
  KLAXON_ENCRYPTION_KEYS?: string;
  KLAXON_ENCRYPTION_KEYS_FILE?: string;
  KLAXON_DATA_DIR: string;
}

export type KeyringSource = { kind: 'env' } | { kind: 'file'; file: string; created: boolean };

/**
 * Where the keys come from, in order: `KLAXON_ENCRYPTION_KEYS` (the entries themselves),
 * `KLAXON_ENCRYPTION_KEYS_FILE` (a file of them), else `<data dir>/encryption.keys`, created with
 * one fresh key when missing. Setting both variables is refused: one of them would be ignored.
 */
export function loadKeyring(settings: KeySettings, opts: { create?: boolean } = {}): { keyring: Keyring; source: KeyringSource } {
  const inline = settings.KLAXON_ENCRYPTION_KEYS?.trim();
  const file = settings.KLAXON_ENCRYPTION_KEYS_FILE?.trim();
  if (inline && file) throw new Error('KLAXON_ENCRYPTION_KEYS and KLAXON_ENCRYPTION_KEYS_FILE are both set: set one');
  if (inline) return { keyring: parseKeyring(inline, 'KLAXON_ENCRYPTION_KEYS'), source: { kind: 'env' } };
  if (file) return { keyring: readKeyFile(resolve(file), 'KLAXON_ENCRYPTION_KEYS_FILE'), source: { kind: 'file', file: resolve(file), created: false } };
  const path = defaultKeysFile(settings.KLAXON_DATA_DIR);
  const created = opts.create === false ? false : createKeyFileIfMissing(path);
  return { keyring: readKeyFile(path, path), source: { kind: 'file', file: path, created } };
}

export function defaultKeysFile(dataDir: string): string {
  return join(resolve(dataDir), DEFAULT_KEYS_FILE);
}

/** The file a rotation writes to: the configured file, else the data dir's. Inline keys have no file to rotate. */
export function keysFileFor(settings: KeySettings): string {
  if (settings.KLAXON_ENCRYPTION_KEYS?.trim()) {
    throw new Error('keys come from KLAXON_ENCRYPTION_KEYS: append the entry `klaxon keys generate` prints to it (comma-separated), then restart');
  }
  return settings.KLAXON_ENCRYPTION_KEYS_FILE?.trim() ? resolve(settings.KLAXON_ENCRYPTION_KEYS_FILE) : defaultKeysFile(settings.KLAXON_DATA_DIR);
}

export function readKeyFile(path: string, source: string): Keyring {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${source === path ? path : `${source} (${path})`}: cannot read the keys file (${code === 'ENOENT' ? 'no such file' : code})`);
  }
  return parseKeyring(text, path);
}

/** Whether group or others may read the file (a keys file should be 0600). */
export function looseMode(path: string): boolean {
  return (statSync(path).mode & 0o077) !== 0;
}

/**
 * Creates the file with one fresh key unless it exists. Written aside and hard-linked into place,
 * so two processes starting on one data dir (the http and worker roles) end up with the same key,
 * and neither ever reads a half-written file.
 */
function createKeyFileIfMissing(path: string): boolean {
  if (existsSync(path)) return false;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writePrivate(tmp, HEADER + `${entryLine(newKey())}\n`);
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Adds a fresh key to a keys file; answers its id. Appended it encrypts at once (one process);
 * staged (`stage`) it goes first and only decrypts until `activateKeyInFile` moves it last, so
 * every replica can read it before any writes with it.
 */
export function rotateKeyFile(path: string, opts: { stage?: boolean } = {}): { id: string; keys: string[]; active: string } {
  const key = newKey();
  const current = readKeyFile(path, path);
  const keyring = opts.stage ? current.staging(key) : current.with(key);
  replaceKeyFile(path, keyring);
  return { id: key.id, keys: keyring.ids(), active: keyring.active.id };
}

/** Moves key `id` to the end of the file: it encrypts from the next reload. */
export function activateKeyInFile(path: string, id: string): { keys: string[] } {
  const keyring = readKeyFile(path, path).activating(id);
  replaceKeyFile(path, keyring);
  return { keys: keyring.ids() };
}

/** Atomic: a reader sees the old file or the new one. */
function replaceKeyFile(path: string, keyring: Keyring): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writePrivate(tmp, keyring.format(HEADER));
  renameSync(tmp, path);
}

/** A fresh `id:base64` entry for keys supplied through the environment or a secret store. */
export function generateEntry(): string {
  return entryLine(newKey());
}

function entryLine(e: { id: string; key: Buffer }): string {
  return `${e.id}:${e.key.toString('base64')}`;
}

function writePrivate(path: string, content: string): void {
  // Exclusive create: the mode applies only to a new file, so a leftover is removed first.
  rmSync(path, { force: true });
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
