import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { receiverSchema } from '../../../src/config/receivers';
import { withEnv } from '../../../src/config/secret';
import { receiversDoc, RECEIVERS_DOC } from '../../../scripts/receivers-doc';

/** docs/receivers.md is generated from the receiver schemas; a stale copy fails here (and in CI). */
describe('docs/receivers.md', () => {
  const doc = receiversDoc();

  test('is up to date with src/config/receivers.ts (regenerate: npx tsx scripts/receivers-doc.ts)', () => {
    expect(readFileSync(RECEIVERS_DOC, 'utf8')).toBe(doc);
  });

  test('documents every receiver type, and each smallest configuration is valid', () => {
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]).receivers as Record<string, Record<string, unknown>>);
    expect(blocks).toHaveLength(receiverSchema.options.length);
    for (const block of blocks) {
      const [name, raw] = Object.entries(block)[0];
      const env = Object.fromEntries([...JSON.stringify(raw).matchAll(/\$\{(\w+)\}/g)].map((m) => [m[1], 'x'.repeat(32)]));
      const parsed = withEnv(env, () => receiverSchema.safeParse(raw));
      expect({ name, ok: parsed.success, issues: parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }).toEqual({ name, ok: true, issues: [] });
    }
  });
});
