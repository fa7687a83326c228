import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths';

const DEMO_VARS = ['KLAXON_DEMO_WEBHOOK_TOKEN', 'KLAXON_DEMO_API_TOKEN'];

/**
 * First run without a tenants file: use the demo tenant, with tokens generated once into
 * `<dataDir>/demo.env` (never logged) so the webhook and API work straight away.
 */
export function prepareDemoConfig(dataDir: string, env: NodeJS.ProcessEnv = process.env): { file: string; envFile: string } {
  mkdirSync(dataDir, { recursive: true });
  const envFile = join(dataDir, 'demo.env');
  if (!existsSync(envFile)) {
    writeFileSync(envFile, DEMO_VARS.map((v) => `${v}=${randomBytes(24).toString('base64url')}`).join('\n') + '\n', { mode: 0o600 });
    chmodSync(envFile, 0o600);
  }
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m && env[m[1]] === undefined) env[m[1]] = m[2];
  }
  return { file: join(projectRoot, 'config', 'tenants.demo.yaml'), envFile };
}
