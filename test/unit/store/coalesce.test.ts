import { coalesced } from '../../../src/store/coalesce';

/** A fetch whose queries the test answers by hand, recording what each asked for. */
function manualFetch() {
  const queries: Array<{ keys: string[]; answer(m: Map<string, number>): void; fail(e: Error): void }> = [];
  const fetch = (keys: string[]) =>
    new Promise<Map<string, number>>((resolve, reject) => {
      queries.push({ keys, answer: resolve, fail: reject });
    });
  return { fetch, queries };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('coalesced lookups', () => {
  test('a lone caller gets its own query at once', async () => {
    const { fetch, queries } = manualFetch();
    const get = coalesced(fetch, 0);
    const a = get('a');
    expect(queries.map((q) => q.keys)).toEqual([['a']]);
    queries[0].answer(new Map([['a', 1]]));
    await expect(a).resolves.toBe(1);
  });

  test('callers that come while a query runs share the next one, never the running one', async () => {
    const { fetch, queries } = manualFetch();
    const get = coalesced(fetch, 0, { parallel: 1 });
    const first = get('a');
    // Asked after the first query started: it must not be answered by it (it could be stale).
    const later = [get('b'), get('c'), get('b')];
    expect(queries).toHaveLength(1);
    queries[0].answer(new Map([['a', 1], ['b', 7]]));
    await expect(first).resolves.toBe(1);
    await tick();
    expect(queries.map((q) => q.keys)).toEqual([['a'], ['b', 'c']]);
    queries[1].answer(new Map([['b', 2]]));
    await expect(Promise.all(later)).resolves.toEqual([2, 0, 2]);
  });

  test('a failed query fails only its own callers; the next query runs', async () => {
    const { fetch, queries } = manualFetch();
    const get = coalesced(fetch, 0, { parallel: 1 });
    const a = get('a');
    const b = get('b');
    queries[0].fail(new Error('store down'));
    await expect(a).rejects.toThrow('store down');
    await tick();
    queries[1].answer(new Map([['b', 3]]));
    await expect(b).resolves.toBe(3);
  });

  test('up to `parallel` queries run at once; callers beyond them wait for the next', async () => {
    const { fetch, queries } = manualFetch();
    const get = coalesced(fetch, 0, { parallel: 2 });
    const a = get('a');
    const b = get('b');
    const c = get('c');
    const d = get('d');
    expect(queries.map((q) => q.keys)).toEqual([['a'], ['b']]);
    queries[1].answer(new Map([['b', 2]]));
    await expect(b).resolves.toBe(2);
    await tick();
    // The free runner takes everyone who waited, in one query.
    expect(queries.map((q) => q.keys)).toEqual([['a'], ['b'], ['c', 'd']]);
    queries[0].answer(new Map([['a', 1]]));
    queries[2].answer(new Map([['d', 4]]));
    await expect(Promise.all([a, c, d])).resolves.toEqual([1, 0, 4]);
  });

  test('a batch holds at most `max` keys', async () => {
    const { fetch, queries } = manualFetch();
    const get = coalesced(fetch, 0, { max: 2, parallel: 1 });
    const all = [get('x'), get('a'), get('b'), get('c')];
    queries[0].answer(new Map());
    await tick();
    expect(queries[1].keys).toEqual(['a', 'b']);
    queries[1].answer(new Map());
    await tick();
    expect(queries[2].keys).toEqual(['c']);
    queries[2].answer(new Map([['c', 9]]));
    await expect(Promise.all(all)).resolves.toEqual([0, 0, 0, 9]);
  });
});
