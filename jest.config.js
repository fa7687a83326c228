const { existsSync } = require('node:fs');
const { join } = require('node:path');

/**
 * jose ships ES modules only. Node loads them from CommonJS (require(esm)), but jest run with
 * --experimental-vm-modules refuses to require() an ES module, so tests get a CommonJS bundle of
 * it (esbuild comes with tsx), built once per jose version.
 */
function joseForJest() {
  const { version } = require('jose/package.json');
  const out = join(__dirname, 'node_modules', '.cache', 'klaxon-jest', `jose-${version}.cjs`);
  if (!existsSync(out)) {
    require('esbuild').buildSync({ entryPoints: [require.resolve('jose')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: out, logLevel: 'error' });
  }
  return out;
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // Runbook files import the step library by its public name (src/runbook/load.ts maps it for Node).
  moduleNameMapper: { '^klaxon/runbook$': '<rootDir>/src/runbook/index.ts', '^jose$': joseForJest() },
  modulePaths: ['<rootDir>/node_modules'],
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  // Two cores: Temporal server + worker + app per file; more parallelism only thrashes.
  maxWorkers: 2,
  testTimeout: 60000,
};
