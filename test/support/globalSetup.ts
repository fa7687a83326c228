import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer } from '../../src/temporal/devServer';
import { prebuiltWorkflowBundle } from '../../src/temporal/bundle';
import { projectRoot } from '../../src/paths';
import { TEST_RUNBOOKS } from './runbooks';
import { runbookDirs } from '../../src/runbook/load';
import { generateEntry } from '../../src/crypto/keySource';

/**
 * One Temporal dev server and one workflow bundle for the whole run: each test file then starts
 * its own worker on its own task queue against them (bundling per test would cost seconds each).
 */
export default async function globalSetup(): Promise<void> {
  const cache = join(projectRoot, '.tmp');
  mkdirSync(cache, { recursive: true });
  const [server, bundle] = await Promise.all([startDevServer({ namespace: 'default' }), prebuiltWorkflowBundle(cache, runbookDirs(TEST_RUNBOOKS))]);
  process.env.KLAXON_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.KLAXON_TEST_BUNDLE = bundle.codePath;
  // One keyring for the run: a test's http-only and worker-only Klaxons (separate data dirs, even
  // separate processes) must read each other's payloads, as a real deployment's roles share keys.
  process.env.KLAXON_TEST_ENCRYPTION_KEYS = generateEntry();
  (globalThis as { __klaxonDevServer?: { stop(): Promise<void> } }).__klaxonDevServer = server;
}
