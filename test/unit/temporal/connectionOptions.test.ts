import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientConnectionOptions, connectError, nativeConnectionOptions, temporalSecurity } from '../../../src/temporal/connectionOptions';

const dir = mkdtempSync(join(tmpdir(), 'klaxon-tls-unit-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
const crt = file('crt.pem', 'client cert');
const key = file('key.pem', 'client key');
const address = 'temporal.example:7233';

describe('Temporal connection security from the environment', () => {
  test('nothing set is plaintext, for the embedded dev server as for an external one', () => {
    expect(temporalSecurity({})).toEqual({ describe: 'plaintext', clientCert: false });
    expect(clientConnectionOptions(address, temporalSecurity({ TEMPORAL_ADDRESS: address }))).toEqual({ address, tls: false });
  });

  test('CA, client certificate, server name and API key reach both kinds of connection; the description names files, never the key', () => {
    const s = temporalSecurity({ TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CA_FILE: ca, TEMPORAL_TLS_CERT_FILE: crt, TEMPORAL_TLS_KEY_FILE: key, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal', TEMPORAL_API_KEY: 'sekrit-key' });
    expect(Buffer.from(s.tls!.serverRootCACertificate!).toString()).toContain('BEGIN CERTIFICATE');
    expect(Buffer.from(s.tls!.clientCertPair!.crt).toString()).toBe('client cert');
    expect(Buffer.from(s.tls!.clientCertPair!.key).toString()).toBe('client key');
    expect(s.tls!.serverNameOverride).toBe('temporal.internal');
    for (const o of [clientConnectionOptions(address, s), nativeConnectionOptions(address, s)]) expect(o).toMatchObject({ address, tls: s.tls, apiKey: 'sekrit-key' });
    expect(s.describe).toBe(`TLS (CA ${ca}, client certificate ${crt}, server name temporal.internal, API key from TEMPORAL_API_KEY)`);
    expect(s.describe).not.toContain('sekrit');
  });

  test('TEMPORAL_TLS=true alone is TLS against the system CAs; an API key alone implies TLS', () => {
    expect(temporalSecurity({ TEMPORAL_ADDRESS: address, TEMPORAL_TLS: 'true' })).toMatchObject({ tls: {}, describe: 'TLS (system CAs)' });
    const cloud = temporalSecurity({ TEMPORAL_ADDRESS: address, TEMPORAL_API_KEY_FILE: file('api-key', 'from-file\n') });
    expect(cloud).toMatchObject({ tls: {}, apiKey: 'from-file', describe: 'TLS (system CAs, API key from TEMPORAL_API_KEY_FILE)' });
  });

  test.each([
    [{ TEMPORAL_TLS_CA_FILE: ca }, /TEMPORAL_TLS_CA_FILE: set TEMPORAL_ADDRESS too; the embedded dev server speaks no TLS/],
    [{ TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CERT_FILE: crt }, /client certificate needs both \(only TEMPORAL_TLS_CERT_FILE is set\)/],
    [{ TEMPORAL_ADDRESS: address, TEMPORAL_TLS_KEY_FILE: key }, /only TEMPORAL_TLS_KEY_FILE is set/],
    [{ TEMPORAL_ADDRESS: address, TEMPORAL_API_KEY: 'k', TEMPORAL_API_KEY_FILE: key }, /set one of them, not both/],
    [{ TEMPORAL_ADDRESS: address, TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' }, /an API key needs TLS/],
    [{ TEMPORAL_ADDRESS: address, TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA_FILE: ca }, /TEMPORAL_TLS=false contradicts TEMPORAL_TLS_CA_FILE/],
    [{ TEMPORAL_ADDRESS: address, TEMPORAL_TLS: 'yes please' }, /TEMPORAL_TLS: "yes please" is not true or false/],
    [{ TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CA_FILE: join(dir, 'missing.pem') }, /TEMPORAL_TLS_CA_FILE: cannot read .*missing\.pem \(ENOENT\)/],
    [{ TEMPORAL_ADDRESS: address, TEMPORAL_API_KEY_FILE: file('empty', '') }, /TEMPORAL_API_KEY_FILE: cannot read .*empty \(empty\)/],
  ])('%o is refused with the variable and the reason', (env, message) => {
    expect(() => temporalSecurity(env)).toThrow(message);
  });

  test('a refused connection says where, with what, and which variable is likely missing; a key in the transport text is redacted', () => {
    const mtls = temporalSecurity({ TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CA_FILE: ca, TEMPORAL_API_KEY: 'sekrit-key' });
    const e = connectError(new Error('alert certificate required (sekrit-key)'), address, mtls).message;
    expect(e).toMatch(/^cannot reach Temporal at temporal\.example:7233 \(TLS \(CA .*\)\): alert certificate required \(\[redacted\]\)/);
    expect(e).toContain('set TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE');
    expect(e).not.toContain('sekrit');
    const plain = connectError(new Error('Failed to connect'), address, temporalSecurity({ TEMPORAL_ADDRESS: address })).message;
    expect(plain).toContain('set TEMPORAL_TLS=true');
    const untrusted = connectError(new Error('self-signed certificate in certificate chain'), address, temporalSecurity({ TEMPORAL_ADDRESS: address, TEMPORAL_TLS: '1' })).message;
    expect(untrusted).toContain('set TEMPORAL_TLS_CA_FILE');
  });
});
