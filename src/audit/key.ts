import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Secret } from '../config/secret';

/** Shortest key accepted from configuration: 32 characters (`openssl rand -base64 32` gives 44). */
export const MIN_KEY_LENGTH = 32;
export const KEY_FILE = 'audit.key';

/**
 * The server key that seals the audit chain (HMAC-SHA256). It never prints: logs, errors and JSON
 * show only its id, a fingerprint that tells two keys apart without revealing either.
 */
export class AuditKey {
  readonly #key: Buffer;
  /** First 12 hex digits of HMAC(key, "klaxon-audit-key-id"). */
  readonly id: string;
  constructor(material: string, readonly source: string) {
    if (material.length < MIN_KEY_LENGTH) throw new Error(`audit key from ${source} is too short: at least ${MIN_KEY_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`);
    this.#key = Buffer.from(material, 'utf8');
    this.id = this.hmac('klaxon-audit-key-id').toString('hex').slice(0, 12);
  }
  hmac(...parts: Array<string | Buffer>): Buffer {
    const h = createHmac('sha256', this.#key);
    for (const p of parts) h.update(p);
    return h.digest();
  }
  toString(): string {
    return `AuditKey(${this.id})`;
  }
  toJSON(): string {
    return this.toString();
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * Where the key comes from, first found wins:
 * 1. `server.auditKey` in the tenants file (a `${VAR}` secret; `VAR_FILE` works too);
 * 2. KLAXON_AUDIT_KEY, or the file KLAXON_AUDIT_KEY_FILE names, in the environment (the CLI and CI,
 *    which have no tenants file);
 * 3. `<data dir>/audit.key`: `klaxon start` creates it (32 random bytes, mode 0600) when nothing is
 *    configured, so a single-machine install is sealed from its first event. Anyone who can read
 *    that file can forge rows: production supplies the key from a secret store instead.
 * `create: false` (verify, erase) refuses to invent a key: a new key would call every row forged.
 */
export function resolveAuditKey(opts: { configured?: Secret; env?: NodeJS.ProcessEnv; dataDir: string; create: boolean }): { key: AuditKey; created: boolean } {
  if (opts.configured) return { key: new AuditKey(opts.configured.reveal(), `server.auditKey (\${${opts.configured.envVar}})`), created: false };
  const env = opts.env ?? process.env;
  if (env.KLAXON_AUDIT_KEY) return { key: new AuditKey(env.KLAXON_AUDIT_KEY, 'KLAXON_AUDIT_KEY'), created: false };
  if (env.KLAXON_AUDIT_KEY_FILE) {
    let text: string;
    try {
      text = readFileSync(env.KLAXON_AUDIT_KEY_FILE, 'utf8');
    } catch (err) {
      throw new Error(`KLAXON_AUDIT_KEY_FILE: cannot read ${env.KLAXON_AUDIT_KEY_FILE} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return { key: new AuditKey(text.replace(/\r?\n$/, ''), 'KLAXON_AUDIT_KEY_FILE'), created: false };
  }
  const file = join(opts.dataDir, KEY_FILE);
  if (existsSync(file)) return { key: new AuditKey(readFileSync(file, 'utf8').trim(), file), created: false };
  if (!opts.create) {
    throw new Error(`no audit key: set server.auditKey or KLAXON_AUDIT_KEY (or KLAXON_AUDIT_KEY_FILE), or run where ${file} is (\`klaxon start\` creates it)`);
  }
  mkdirSync(dirname(file), { recursive: true });
  // 'wx': two processes starting at once must not both write a key; the loser reads the winner's.
  try {
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { key: new AuditKey(readFileSync(file, 'utf8').trim(), file), created: false };
  }
  return { key: new AuditKey(readFileSync(file, 'utf8').trim(), file), created: true };
}
