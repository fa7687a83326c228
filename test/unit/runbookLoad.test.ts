import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunbooks, runbookDirs } from '../../src/runbook/load';
import { TEST_RUNBOOKS } from '../support/runbooks';

const book = (name: string, rest: string) => `import { z } from 'zod';
import { defineRunbook } from 'klaxon/runbook';
export default defineRunbook({ name: ${JSON.stringify(name)}, description: 'd', mode: 'auto', ${rest} async run() {} });
`;

describe('loading runbooks', () => {
  test('the shipped examples and the test runbooks load, by name, with their matchers', () => {
    const set = loadRunbooks(runbookDirs(TEST_RUNBOOKS));
    expect(set.errors).toEqual([]);
    expect([...set.byName.keys()].sort()).toEqual(['restart-service', 'scale-up', 'silence-flapping', 'test-approval', 'test-approvers', 'test-probe']);
    expect(set.byName.get('restart-service')!.timeoutMs).toBe(30 * 60_000);
    expect(set.byName.get('test-probe')!.matchers).toEqual([{ name: 'alertname', op: '=', value: 'RunbookProbe' }]);
  });

  test('a bad file is left out with its file and reason; the good ones still load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-runbooks-'));
    writeFileSync(join(dir, 'a-good.ts'), book('good', `match: ['alertname="X"'],`));
    writeFileSync(join(dir, 'b-matcher.ts'), book('bad-matcher', `match: ['alertname=~"("'],`));
    writeFileSync(join(dir, 'c-name.ts'), book('Bad Name', `match: ['alertname="X"'],`));
    writeFileSync(join(dir, 'd-default.ts'), book('bad-default', `match: ['alertname="X"'], params: z.object({ replicas: z.number().int().default(1.5) }),`));
    writeFileSync(join(dir, 'e-twin.ts'), book('good', `match: ['alertname="Y"'],`));
    writeFileSync(join(dir, 'f-everything.ts'), book('runs-for-all', `match: [],`));
    writeFileSync(join(dir, 'g-export.ts'), `export const notDefault = 1;\n`);
    writeFileSync(join(dir, 'h-approval-auto.ts'), book('approval-auto', `match: ['alertname="X"'], approval: { timeout: '5m' },`));
    writeFileSync(join(dir, 'i-approval-timeout.ts'), book('approval-timeout', `match: ['alertname="X"'], approval: { timeout: 'soon' },`).replace("mode: 'auto'", "mode: 'suggest'"));
    writeFileSync(join(dir, 'j-approval-skip.ts'), book('approval-skip', `match: ['alertname="X"'], approval: { onTimeout: 'skip' as any },`).replace("mode: 'auto'", "mode: 'suggest'"));
    const set = loadRunbooks([dir]);
    expect([...set.byName.keys()]).toEqual(['good']);
    const why = (file: string) => set.errors.find((e) => e.startsWith(join(dir, file)));
    expect(why('b-matcher.ts')).toMatch(/match\[0\]: .*bad regex/);
    expect(why('c-name.ts')).toMatch(/name: "Bad Name" must be lower-case/);
    expect(why('d-default.ts')).toMatch(/params: a default does not fit its schema: replicas/);
    expect(why('e-twin.ts')).toMatch(/name "good" is already used by .*a-good\.ts/);
    expect(why('f-everything.ts')).toMatch(/needs at least one matcher/);
    expect(why('g-export.ts')).toMatch(/export default defineRunbook/);
    expect(why('h-approval-auto.ts')).toMatch(/approval: only a suggest runbook asks before it runs \(this one is auto/);
    expect(why('i-approval-timeout.ts')).toMatch(/approval.timeout: "soon" is not a duration/);
    expect(why('j-approval-skip.ts')).toMatch(/approval.onTimeout: "skip" must be abort or escalate/);
  });
});
