import { readFileSync } from 'node:fs';
import { Connection, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { KlaxonEnv } from '../config/env';

/**
 * How Klaxon reaches an external Temporal server: plaintext (a dev server on the same host), TLS,
 * mTLS with a client certificate, and/or an API key (Temporal Cloud). Read once from the
 * environment; every Connection and NativeConnection Klaxon opens to TEMPORAL_ADDRESS takes its
 * options from here, so the client, its health probe and the worker never disagree.
 */
export interface TemporalSecurity {
  /** Undefined: plaintext. */
  tls?: TLSConfig;
  apiKey?: string;
  /** For logs and errors: what is configured, by variable and file, never a key. */
  describe: string;
  /** Whether a client certificate is configured (mTLS). */
  clientCert: boolean;
}

type SecurityEnv = Pick<
  KlaxonEnv,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CA_FILE' | 'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY' | 'TEMPORAL_API_KEY_FILE'
>;

const PLAINTEXT: TemporalSecurity = { describe: 'plaintext', clientCert: false };

function readFileVar(name: string, file: string): Buffer {
  try {
    const data = readFileSync(file);
    if (data.length === 0) throw Object.assign(new Error('empty'), { code: 'empty' });
    return data;
  } catch (err) {
    // The path is configuration, not a secret: naming it helps whoever mounts the file.
    throw new Error(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Reads TEMPORAL_TLS* and TEMPORAL_API_KEY[_FILE]; throws with the variable and the reason for a bad combination. */
export function temporalSecurity(env: SecurityEnv): TemporalSecurity {
  const set = (v: string | undefined) => v !== undefined && v.trim() !== '';
  const given = (['TEMPORAL_TLS', 'TEMPORAL_TLS_CA_FILE', 'TEMPORAL_TLS_CERT_FILE', 'TEMPORAL_TLS_KEY_FILE', 'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_API_KEY', 'TEMPORAL_API_KEY_FILE'] as const).filter((k) => set(env[k]));
  if (given.length === 0) return PLAINTEXT;
  if (!set(env.TEMPORAL_ADDRESS)) throw new Error(`${given.join(', ')}: set TEMPORAL_ADDRESS too; the embedded dev server speaks no TLS and takes no API key`);
  if (set(env.TEMPORAL_TLS_CERT_FILE) !== set(env.TEMPORAL_TLS_KEY_FILE)) {
    throw new Error(`TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE: a client certificate needs both (only ${set(env.TEMPORAL_TLS_CERT_FILE) ? 'TEMPORAL_TLS_CERT_FILE' : 'TEMPORAL_TLS_KEY_FILE'} is set)`);
  }
  if (set(env.TEMPORAL_API_KEY) && set(env.TEMPORAL_API_KEY_FILE)) throw new Error('TEMPORAL_API_KEY and TEMPORAL_API_KEY_FILE: set one of them, not both');

  let apiKey: string | undefined;
  if (set(env.TEMPORAL_API_KEY)) apiKey = env.TEMPORAL_API_KEY!.trim();
  else if (set(env.TEMPORAL_API_KEY_FILE)) apiKey = readFileVar('TEMPORAL_API_KEY_FILE', env.TEMPORAL_API_KEY_FILE!).toString('utf8').trim();
  if (apiKey !== undefined && apiKey === '') throw new Error('TEMPORAL_API_KEY_FILE: the file holds no key');

  const tlsFlag = env.TEMPORAL_TLS?.trim().toLowerCase();
  if (tlsFlag !== undefined && tlsFlag !== '' && !['true', 'false', '1', '0'].includes(tlsFlag)) throw new Error(`TEMPORAL_TLS: "${env.TEMPORAL_TLS}" is not true or false`);
  const tlsOff = tlsFlag === 'false' || tlsFlag === '0';
  const tlsDetails = given.some((k) => k.startsWith('TEMPORAL_TLS_'));
  if (tlsOff && tlsDetails) throw new Error(`TEMPORAL_TLS=false contradicts ${given.filter((k) => k.startsWith('TEMPORAL_TLS_')).join(', ')}`);
  // A bearer over plaintext gives the key to anyone on the path.
  if (tlsOff && apiKey !== undefined) throw new Error('TEMPORAL_TLS=false with an API key would send the key unencrypted; an API key needs TLS');
  if (tlsOff) return PLAINTEXT;

  const tls: TLSConfig = {};
  const parts: string[] = [];
  if (set(env.TEMPORAL_TLS_CA_FILE)) {
    tls.serverRootCACertificate = readFileVar('TEMPORAL_TLS_CA_FILE', env.TEMPORAL_TLS_CA_FILE!);
    parts.push(`CA ${env.TEMPORAL_TLS_CA_FILE}`);
  } else parts.push('system CAs');
  if (set(env.TEMPORAL_TLS_CERT_FILE)) {
    tls.clientCertPair = { crt: readFileVar('TEMPORAL_TLS_CERT_FILE', env.TEMPORAL_TLS_CERT_FILE!), key: readFileVar('TEMPORAL_TLS_KEY_FILE', env.TEMPORAL_TLS_KEY_FILE!) };
    parts.push(`client certificate ${env.TEMPORAL_TLS_CERT_FILE}`);
  }
  if (set(env.TEMPORAL_TLS_SERVER_NAME)) {
    tls.serverNameOverride = env.TEMPORAL_TLS_SERVER_NAME!.trim();
    parts.push(`server name ${tls.serverNameOverride}`);
  }
  if (apiKey !== undefined) parts.push(`API key from ${set(env.TEMPORAL_API_KEY) ? 'TEMPORAL_API_KEY' : 'TEMPORAL_API_KEY_FILE'}`);
  return { tls, apiKey, clientCert: tls.clientCertPair !== undefined, describe: `TLS (${parts.join(', ')})` };
}

/** Options for a client Connection (grpc-js). */
export function clientConnectionOptions(address: string, s: TemporalSecurity, extra: Partial<ConnectionOptions> = {}): ConnectionOptions {
  return { address, tls: s.tls ?? false, ...(s.apiKey !== undefined ? { apiKey: s.apiKey } : {}), ...extra };
}

/** Options for a worker's NativeConnection (Temporal's Rust core). */
export function nativeConnectionOptions(address: string, s: TemporalSecurity): NativeConnectionOptions {
  return { address, tls: s.tls ?? false, ...(s.apiKey !== undefined ? { apiKey: s.apiKey } : {}) };
}

/**
 * A failed connection, said so a person can fix it: where, with what settings, the transport's own
 * reason, and which variable is likely missing. A server that wants a client certificate, or TLS
 * at all, only says "connection closed" or "certificate required" deep inside its error.
 */
export function connectError(err: unknown, address: string, s: TemporalSecurity): Error {
  const reason = (err as Error)?.message ?? String(err);
  const hints: string[] = [];
  if (!s.tls) hints.push('if the server speaks TLS, set TEMPORAL_TLS=true (and TEMPORAL_TLS_CA_FILE for a private CA)');
  else {
    if (!s.clientCert) hints.push('if the server requires a client certificate (mTLS), set TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE');
    if (/certificate|issuer|self.signed|verif|UnknownIssuer|BadSignature/i.test(reason)) hints.push("if the server's certificate is not trusted, set TEMPORAL_TLS_CA_FILE to its CA (and TEMPORAL_TLS_SERVER_NAME when the address is not a name in the certificate)");
    if (!s.apiKey) hints.push('for Temporal Cloud with API keys, set TEMPORAL_API_KEY or TEMPORAL_API_KEY_FILE');
  }
  let message = `cannot reach Temporal at ${address} (${s.describe}): ${reason}`;
  // The transport's text never holds the key, but make sure: errors end up in logs.
  if (s.apiKey) message = message.split(s.apiKey).join('[redacted]');
  return new Error(hints.length ? `${message}\n  ${hints.join('\n  ')}` : message);
}

/** How long a start waits for a Temporal that is not listening yet (compose starts it beside Klaxon). */
const CONNECT_WAIT_MS = 10_000;
const NOT_LISTENING_YET = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ECONNRESET|DEADLINE_EXCEEDED/;

/**
 * A client Connection that has answered one call: a TLS 1.3 server refuses a missing client
 * certificate only after the handshake looks done, so "connected" alone proves nothing. The check
 * goes through a connection without retries, so the transport's own reason (`certificate required`,
 * `self-signed certificate`) is reported at once; only a server that is not listening yet is waited for.
 */
export async function connectClient(address: string, s: TemporalSecurity, extra: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const check = await Connection.lazy(clientConnectionOptions(address, s, { ...extra, interceptors: [] }));
  const deadline = Date.now() + CONNECT_WAIT_MS;
  try {
    for (;;) {
      try {
        await check.withDeadline(Math.min(deadline, Date.now() + 5_000), () => check.workflowService.getSystemInfo({}));
        break;
      } catch (err) {
        if (!NOT_LISTENING_YET.test((err as Error).message) || Date.now() >= deadline) throw connectError(err, address, s);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await check.close();
  }
  return Connection.connect(clientConnectionOptions(address, s, extra));
}

/** The worker's connection, with the same settings and the same explanation when it fails. */
export async function connectNative(address: string, s: TemporalSecurity): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(nativeConnectionOptions(address, s));
  } catch (err) {
    throw connectError(err, address, s);
  }
}
