import { loadConfigFile } from '../../config/load';
import { formatDuration, parseDuration } from '../../config/duration';
import { Keyring, generateSigningKey } from '../../auth/keyring';
import { parsePermissions, PERMISSIONS } from '../../auth/permissions';
import { issueToken } from '../../auth/tokens';
import { flag } from '../args';
import { readFileSync } from 'node:fs';
import { api } from '../api';
import { revocationSchema, type Revocation } from '../../auth/revocations';

const USAGE = `usage: klaxon token <command>
  issue --tenant T --user U --perm P[,P...] [--ttl 30d] [--config FILE]
                      print an API token for U of tenant T, signed with the newest key of
                      server.auth.keys (permissions: ${PERMISSIONS.join(', ')}; admin implies all)
  revoke (--user U | --token-file F | --token T) [--reason TEXT]
                      end tokens before they expire, through the API (KLAXON_URL, KLAXON_TOKEN
                      with admin): every token of user U issued until now, or one token
                      (from a file, - for stdin; --token leaves it in your shell history)
  revocations         list your tenant's revocations still in force
  keygen [--alg EdDSA|ES256]
                      print a new signing key (PKCS#8 PEM) for server.auth.keys; its key id on stderr
`;

/** `klaxon token issue|keygen`: per-user API tokens (README: Authentication). */
export async function token(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'issue') return issue(rest);
  if (command === 'keygen') return keygen(rest);
  if (command === 'revoke') return revoke(rest);
  if (command === 'revocations') return revocations();
  process.stderr.write(USAGE);
  return command === undefined || command === 'help' ? 0 : 2;
}

/** Says why on stderr, prefixed with the command; exit code 2 (bad usage). */
const failing = (command: string) => (message: string) => {
  process.stderr.write(`klaxon token ${command}: ${message}\n`);
  return 2;
};

async function issue(args: string[]): Promise<number> {
  const fail = failing('issue');
  const tenant = flag(args, '--tenant');
  const user = flag(args, '--user');
  const perm = flag(args, '--perm');
  const ttlText = flag(args, '--ttl') ?? '30d';
  if (!tenant) return fail('--tenant is required');
  if (!user || !/^\S{1,200}$/.test(user)) return fail('--user is required: the name recorded as the actor (no spaces, at most 200 characters)');
  if (!perm) return fail(`--perm is required: a comma-separated list of ${PERMISSIONS.join(', ')}`);
  let permissions;
  try {
    permissions = parsePermissions(perm);
  } catch (err) {
    return fail(`--perm: ${(err as Error).message}`);
  }
  const config = loadConfigFile(flag(args, '--config') ?? process.env.KLAXON_CONFIG ?? 'config/tenants.yaml');
  const auth = config.server.auth;
  if (!Object.hasOwn(config.tenants, tenant)) return fail(`--tenant: unknown tenant "${tenant}" (configured: ${Object.keys(config.tenants).join(', ')})`);
  const ttlMs = parseDuration(ttlText);
  if (!ttlMs) return fail(`--ttl: "${ttlText}" is not a duration (e.g. 12h, 30d)`);
  if (ttlMs > auth.maxTtl) return fail(`--ttl: ${ttlText} is longer than server.auth.maxTtl (${formatDuration(auth.maxTtl)})`);
  const ring = Keyring.fromConfig(auth.keys);
  if (!ring.signing) return fail('no signing key: add one to server.auth.keys (`klaxon token keygen` makes one)');
  const issued = await issueToken(ring, { issuer: auth.issuer, audience: auth.audience, tenant, user, permissions, ttlMs });
  // Only the token on stdout, so `export KLAXON_TOKEN=$(klaxon token issue …)` works.
  process.stdout.write(`${issued.token}\n`);
  process.stderr.write(`token ${issued.jti} for ${user} of ${tenant} (${permissions.join(', ')}), key ${issued.kid}, expires ${issued.expiresAt.toISOString()}\n`);
  return 0;
}

function keygen(args: string[]): number {
  const alg = flag(args, '--alg') ?? 'EdDSA';
  if (alg !== 'EdDSA' && alg !== 'ES256') {
    process.stderr.write(`klaxon token keygen: --alg: "${alg}" is not EdDSA or ES256\n`);
    return 2;
  }
  const { pem, kid } = generateSigningKey(alg);
  process.stdout.write(pem);
  process.stderr.write(`key id (thumbprint) ${kid}; keep the PEM in a secret file and list it first under server.auth.keys, e.g.\n  - { kid: ${kid.slice(0, 12)}, privateKey: "\${KLAXON_TOKEN_KEY}" }   with KLAXON_TOKEN_KEY_FILE=/run/secrets/klaxon-token-key.pem\n`);
  return 0;
}

function describeRevocation(r: Revocation): string {
  const what = r.jti ? `token ${r.jti}` : `every token of ${r.user} issued until ${r.issuedBefore}`;
  return `${r.revokedAt}  ${what} (by ${r.revokedBy}${r.reason ? `: ${r.reason}` : ''}; in force until ${r.expiresAt})\n`;
}

async function revoke(args: string[]): Promise<number> {
  const fail = failing('revoke');
  const user = flag(args, '--user');
  const file = flag(args, '--token-file');
  const inline = flag(args, '--token');
  if ([user, file, inline].filter((x) => x !== undefined).length !== 1) return fail('name exactly one of --user U, --token-file F, --token T');
  let token = inline;
  if (file !== undefined) {
    try {
      token = readFileSync(file === '-' ? 0 : file, 'utf8').trim();
    } catch (err) {
      return fail(`--token-file: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `no file ${file}` : (err as Error).message}`);
    }
  }
  const reason = flag(args, '--reason');
  const { revocation } = await api<{ revocation: unknown }>('POST', '/api/v1/tokens/revocations', { ...(user !== undefined ? { user } : { token }), ...(reason ? { reason } : {}) });
  process.stdout.write(`revoked: ${describeRevocation(revocationSchema.parse(revocation))}`);
  return 0;
}

async function revocations(): Promise<number> {
  const { revocations } = await api<{ revocations: unknown[] }>('GET', '/api/v1/tokens/revocations');
  if (revocations.length === 0) process.stdout.write('no revocations in force\n');
  for (const r of revocations) process.stdout.write(describeRevocation(revocationSchema.parse(r)));
  return 0;
}
