import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { installRuntime } from '../support/klaxon';
import { prebuiltWorkflowBundle } from '../../src/temporal/bundle';
import { projectRoot } from '../../src/paths';

const HISTORY = join(projectRoot, 'test/fixtures/histories/incident-runbook-approved-run.v9.binpb');
const ORIGINAL = readFileSync(join(projectRoot, 'test/fixtures/runbooks/test-approval.ts'), 'utf8');
const CALL = 'const r = await ctx.http(';

/** test-approval with a pause before its call: a new timer where the recorded run scheduled its call. */
const CHANGED = {
  unguarded: ORIGINAL.replace(CALL, `await ctx.sleep('1s');\n    ${CALL}`),
  guarded: ORIGINAL.replace(CALL, `if (ctx.patched('pause-first')) await ctx.sleep('1s');\n    ${CALL}`),
};

/** A workflow bundle whose test-approval is `source` (cached in .tmp by content, like the test bundle). */
async function bundleWith(name: keyof typeof CHANGED): Promise<string> {
  const dir = join(projectRoot, '.tmp', 'runbook-change', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'test-approval.ts'), CHANGED[name]);
  return (await prebuiltWorkflowBundle(join(projectRoot, '.tmp'), [dir])).codePath;
}

/**
 * Changing a runbook while runs are in flight (issue #9): a recorded run of test-approval replays
 * against changed bodies. A new step dropped in breaks the runs that had passed that point; the
 * same change behind `ctx.patched()` replays them unchanged (and new runs take the new branch).
 */
describe('changing a runbook with runs in flight', () => {
  const history = temporal.api.history.v1.History.decode(readFileSync(HISTORY));
  let bundles: Record<keyof typeof CHANGED, string>;

  beforeAll(async () => {
    installRuntime();
    expect(CHANGED.unguarded).not.toBe(ORIGINAL);
    // One after the other: two bundles at once would only fight over the two cores.
    bundles = { unguarded: await bundleWith('unguarded'), guarded: await bundleWith('guarded') };
  }, 180_000);

  test('a step added without patched() fails to replay the recorded run (non-determinism)', async () => {
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: bundles.unguarded } }, history, 'runbook/test-approval')).rejects.toThrow(/[Nn]ondeterminism|DeterminismViolation|does not match/);
  });

  test('the same step behind ctx.patched() replays the recorded run', async () => {
    await Worker.runReplayHistory({ workflowBundle: { codePath: bundles.guarded } }, history, 'runbook/test-approval');
  });
});
