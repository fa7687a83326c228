import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRunbooks } from '../../src/runbook/check';
import { runbookDirs } from '../../src/runbook/load';
import { TEST_RUNBOOKS } from '../support/runbooks';

describe('klaxon validate: runbooks', () => {
  test('the shipped examples and the test runbooks pass', () => {
    const r = checkRunbooks(runbookDirs(TEST_RUNBOOKS));
    expect(r.problems).toEqual([]);
    expect(r.files).toBe(6);
  }, 60_000);

  test('a type error and a non-deterministic import fail with the file, the line and the reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-check-'));
    writeFileSync(
      join(dir, 'typo.ts'),
      `import { defineRunbook } from 'klaxon/runbook';
export default defineRunbook({
  name: 'typo', description: 'd', mode: 'manual', match: [],
  async run(ctx) {
    await ctx.waitFor({ query: 'up', below: 'one', timeout: '5m' });
  },
});
`,
    );
    writeFileSync(
      join(dir, 'shell.ts'),
      `import { defineRunbook } from 'klaxon/runbook';
import { execSync } from 'node:child_process';
export default defineRunbook({
  name: 'shell', description: 'd', mode: 'manual', match: [],
  async run() {
    execSync('systemctl restart api');
  },
});
`,
    );
    const r = checkRunbooks([dir]);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${join(dir, 'typo.ts')}:5: Type 'string' is not assignable to type 'number'`)),
        expect.stringMatching(new RegExp(`^${join(dir, 'shell.ts')}:2: imports "node:child_process": a runbook is workflow code`)),
      ]),
    );
  }, 60_000);

  test('a bad matcher is reported by the loader when the types are right', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-check-'));
    writeFileSync(join(dir, 'm.ts'), `import { defineRunbook } from 'klaxon/runbook';\nexport default defineRunbook({ name: 'm', description: 'd', mode: 'auto', match: ['alertname=~"("'], async run() {} });\n`);
    expect(checkRunbooks([dir]).problems).toEqual([expect.stringMatching(/m\.ts: match\[0\]: .*bad regex/)]);
  }, 60_000);
});
