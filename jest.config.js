/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  // Runbook files import the step library by its public name (src/runbook/load.ts maps it for Node).
  moduleNameMapper: { '^klaxon/runbook$': '<rootDir>/src/runbook/index.ts' },
  modulePaths: ['<rootDir>/node_modules'],
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  // Two cores: Temporal server + worker + app per file; more parallelism only thrashes.
  maxWorkers: 2,
  testTimeout: 60000,
};
