import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate of another CA, which the server must refuse. */
  strangerCert: string;
  strangerKey: string;
}

/**
 * A throwaway CA, a server certificate for 127.0.0.1/localhost and client certificates, made with
 * the openssl CLI (P-256). rustls (Temporal's core, the worker's connection) wants real X.509 v3
 * end-entity certificates: subjectAltName, no CA flag, key usage and extended key usage set.
 */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'klaxon-pki-'));
  const p = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ca = (name: string) => {
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`), '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  const leaf = (name: string, issuer: string, ext: string) => {
    writeFileSync(p(`${name}.ext`), `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n${ext}\n`);
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${name}`);
    ssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${issuer}.crt`), '-CAkey', p(`${issuer}.key`), '-CAcreateserial', '-out', p(`${name}.crt`), '-days', '2', '-extfile', p(`${name}.ext`));
  };
  ca('klaxon-test-ca');
  ca('stranger-ca');
  leaf('temporal-proxy', 'klaxon-test-ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:temporal.test\nextendedKeyUsage=serverAuth');
  leaf('klaxon-worker', 'klaxon-test-ca', 'subjectAltName=DNS:klaxon-worker\nextendedKeyUsage=clientAuth');
  leaf('stranger', 'stranger-ca', 'subjectAltName=DNS:stranger\nextendedKeyUsage=clientAuth');
  return {
    dir,
    caCert: p('klaxon-test-ca.crt'),
    serverCert: p('temporal-proxy.crt'),
    serverKey: p('temporal-proxy.key'),
    clientCert: p('klaxon-worker.crt'),
    clientKey: p('klaxon-worker.key'),
    strangerCert: p('stranger.crt'),
    strangerKey: p('stranger.key'),
  };
}
