// `npx tsx scripts/api-fuzz.ts [--max-examples N]`: schemathesis (PyPI) against a running Klaxon,
// generating requests from openapi.json; any 5xx fails (exit 1) with the cases that caused it.
// Starts its own Klaxon (embedded Temporal dev server, DATABASE_URL or PGlite) with one tenant and
// an admin token, so every /api route is reached past auth. .ci/run runs it after jest.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envSchema } from '../src/config/env';
import { parseConfig } from '../src/config/load';
import { createLogger } from '../src/logger';
import { startKlaxon } from '../src/runtime';
import { generateSigningKey, Keyring } from '../src/auth/keyring';
import { issueToken } from '../src/auth/tokens';
import { PERMISSIONS } from '../src/auth/permissions';
import { startReceiver } from '../test/support/receiver';

const root = join(__dirname, '..');
const maxExamples = Number(process.argv[process.argv.indexOf('--max-examples') + 1]) || 20;

/** tools/schemathesis (a venv .ci/run creates), else `st` on PATH. */
function schemathesisBin(): string | undefined {
  const local = join(root, 'tools', 'schemathesis', 'bin', 'st');
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'st'))) return join(dir, 'st');
  return undefined;
}

async function main(): Promise<number> {
  const st = schemathesisBin();
  if (!st) {
    process.stderr.write('api-fuzz: schemathesis is not installed (python3 -m venv tools/schemathesis && tools/schemathesis/bin/pip install schemathesis)\n');
    return 2;
  }
  const receiver = await startReceiver();
  const key = generateSigningKey();
  const yaml = `
server:
  auth:
    keys: [{ kid: "${key.kid}", privateKey: "\${TOKEN_KEY}" }]
tenants:
  fuzz:
    webhook: { token: "\${HOOK}" }
    api: { token: "\${API}" }
    receivers:
      ops: { type: webhook, url: "\${URL}" }
    escalationPolicies:
      p: { steps: [{ notify: { receivers: [ops] } }] }
    defaultPolicy: p
`;
  const parse = (hook: string) => {
    const r = parseConfig(yaml, { TOKEN_KEY: key.pem, HOOK: hook, API: randomUUID(), URL: `${receiver.url}/ops` });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.config;
  };
  const auth = parse('unused').server.auth;
  const { token } = await issueToken(Keyring.fromConfig(auth.keys), { issuer: auth.issuer, audience: auth.audience, tenant: 'fuzz', user: 'fuzz', permissions: [...PERMISSIONS], ttlMs: 3_600_000 });
  // The same bearer opens the webhook too, so generated alerts get past its token check.
  const config = parse(token);

  const dataDir = mkdtempSync(join(tmpdir(), 'klaxon-fuzz-'));
  const env = envSchema.parse({ PORT: '0', HOST: '127.0.0.1', KLAXON_DATA_DIR: dataDir, TEMPORAL_PORT: '0', TEMPORAL_UI_PORT: '0', DATABASE_URL: process.env.DATABASE_URL, LOG_LEVEL: 'error' });
  const klaxon = await startKlaxon({ env, config, log: createLogger({ level: 'error' }) });
  try {
    // One real incident, so generated actions on it reach the workflow instead of a 404.
    const res = await fetch(`${klaxon.url}/webhook/fuzz`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: '4', groupKey: 'fuzz', status: 'firing', receiver: 'klaxon', commonLabels: { alertname: 'Fuzz' }, alerts: [{ status: 'firing', labels: { alertname: 'Fuzz' }, startsAt: new Date().toISOString(), fingerprint: 'f' }] }),
    });
    if (res.status !== 202) throw new Error(`seeding an incident: webhook answered ${res.status}`);
    const incidentId = ((await res.json()) as { incidents: Array<{ incidentId: string }> }).incidents[0].incidentId;
    const configFile = join(dataDir, 'schemathesis.toml');
    writeFileSync(configFile, `[parameters]\n"path.tenant" = "fuzz"\n"path.id" = ${JSON.stringify(incidentId)}\n`);
    const reportDir = join(root, '.tmp', 'schemathesis');
    const args = [
      '--config-file', configFile,
      'run', join(root, 'openapi.json'), '--url', klaxon.url,
      '--header', `Authorization: Bearer ${token}`,
      '--checks', 'not_a_server_error',
      '--max-examples', String(maxExamples),
      '--request-timeout', '10',
      '--workers', '2',
      '--generation-deterministic',
      '--report', 'junit', '--report-dir', reportDir,
    ];
    process.stderr.write(`api-fuzz: st run openapi.json --url ${klaxon.url} … (max ${maxExamples} examples per operation, incident ${incidentId})\n`);
    // schemathesis's report goes to a file and is printed only when it failed: its last line looks like
    // a pytest summary ("=== 3 warnings in 13s ===", no test count), which a CI log reader may take
    // for the run's test result instead of jest's.
    mkdirSync(reportDir, { recursive: true });
    const outputFile = join(reportDir, 'output.txt');
    const child = spawn(st, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stderr.on('data', (b: Buffer) => chunks.push(b));
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    const output = Buffer.concat(chunks).toString('utf8');
    writeFileSync(outputFile, output);
    if (code !== 0) {
      process.stderr.write(output);
      process.stderr.write(`api-fuzz: schemathesis found requests Klaxon answered with a 5xx (or could not run); the cases are above, the JUnit report in ${reportDir}/\n`);
      return 1;
    }
    const cases = /(\d+) generated, (\d+) passed/.exec(output);
    process.stderr.write(`api-fuzz: ${cases ? `${cases[1]} generated requests, none answered 5xx` : 'no 5xx'} (schemathesis report: ${outputFile})\n`);
    return 0;
  } finally {
    await klaxon.stop();
    await receiver.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`api-fuzz: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
