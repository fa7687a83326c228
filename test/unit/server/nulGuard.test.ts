import fc from 'fast-check';
import { hasNul, nulPaths } from '../../../src/server/nulGuard';

describe('the NUL guard', () => {
  test('the quick check agrees with the paths it would report, for any JSON value', () => {
    // Strings drawn with NUL often enough that both answers come up.
    const text = fc.oneof(fc.string(), fc.constantFrom('\u0000', 'a\u0000b', ''));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value')), fc.dictionary(text, tie('value'))),
    })).value;
    fc.assert(fc.property(json, (v) => hasNul(v) === nulPaths(v).length > 0), { numRuns: 2000 });
  });

  test('a NUL in a key or deep in an array is found', () => {
    expect(hasNul({ alerts: [{ labels: { ok: 'x' } }, { labels: { ['bad\u0000key']: 'y' } }] })).toBe(true);
    expect(hasNul({ alerts: [[['deep\u0000']]] })).toBe(true);
    expect(hasNul({ alerts: [{ labels: { a: 'b' } }], n: 1, ok: true, none: null })).toBe(false);
  });
});
