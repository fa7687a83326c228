import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { installRuntime } from '../support/klaxon';
import { fixtureDataConverter } from '../support/encryption';

const DIR = join(__dirname, '..', 'fixtures', 'histories');

/**
 * Stored histories of real incident runs (test/fixtures/histories/capture.ts) must replay against
 * today's workflow code: a change to workflow logic without patched() fails here, before it can
 * break incidents that are running in production.
 */
describe('workflow replay', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.binpb'));
  const history = (file: string) => temporal.api.history.v1.History.decode(readFileSync(join(DIR, file)));
  const encrypted = (file: string) => Buffer.from(temporal.api.history.v1.History.encode(history(file)).finish()).includes('binary/encrypted');

  test('there are stored histories for every incident scenario', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  // Histories recorded before encryption was on are plaintext, as are workflows still running from
  // then: the codec passes unencrypted payloads through, so both kinds must be here and replay.
  test('histories from before and after payload encryption are both among them', () => {
    expect(files.filter(encrypted).length).toBeGreaterThanOrEqual(1);
    expect(files.filter((f) => !encrypted(f)).length).toBeGreaterThanOrEqual(1);
  });

  test.each(files)('%s replays without non-determinism on a worker with payload encryption on', async (file) => {
    installRuntime();
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.KLAXON_TEST_BUNDLE! }, dataConverter: fixtureDataConverter() }, history(file), file);
  });
});
