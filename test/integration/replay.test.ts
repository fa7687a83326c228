import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { installRuntime } from '../support/klaxon';
import { EncryptionCodec } from '../../src/crypto/codec';
import { Keyring, newKey } from '../../src/crypto/keyring';

const DIR = join(__dirname, '..', 'fixtures', 'histories');

/**
 * Stored histories of real incident runs (test/fixtures/histories/capture.ts) must replay against
 * today's workflow code: a change to workflow logic without patched() fails here, before it can
 * break incidents that are running in production.
 */
describe('workflow replay', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.binpb'));

  test('there are stored histories for every incident scenario', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  test.each(files)('%s replays without non-determinism', async (file) => {
    installRuntime();
    const history = temporal.api.history.v1.History.decode(readFileSync(join(DIR, file)));
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.KLAXON_TEST_BUNDLE! } }, history, file);
  });

  // Histories recorded before encryption was on are plaintext, as are workflows still running from
  // then: a worker with the codec must replay them (its decode passes unencrypted payloads through).
  test.each(files)('%s replays on a worker with payload encryption on', async (file) => {
    installRuntime();
    const history = temporal.api.history.v1.History.decode(readFileSync(join(DIR, file)));
    const dataConverter = { payloadCodecs: [new EncryptionCodec(new Keyring([newKey()]))] };
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.KLAXON_TEST_BUNDLE! }, dataConverter }, history, file);
  });
});
