import { cachedWorkflowsFor, CACHED_WORKFLOW_BYTES, MIN_CACHED_WORKFLOWS, parseBytes, WORKER_BASE_BYTES, workflowHeapMibFor } from '../../../src/temporal/workerMemory';
import { envSchema } from '../../../src/config/env';

describe('the worker memory budget', () => {
  test('memory sizes as operators write them', () => {
    expect(parseBytes('1GiB')).toBe(1024 ** 3);
    expect(parseBytes('768MiB')).toBe(768 * 1024 ** 2);
    expect(parseBytes('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes(' 512 m ')).toBe(512 * 1024 ** 2);
    for (const bad of ['', '1', '1GB', '-1G', 'lots', '1e3M']) expect(parseBytes(bad)).toBeUndefined();
  });

  test('the cache holds what fits after the worker itself, at least the SDK least', () => {
    expect(cachedWorkflowsFor(1024 ** 3)).toBe(Math.floor((1024 ** 3 - WORKER_BASE_BYTES) / CACHED_WORKFLOW_BYTES));
    expect(cachedWorkflowsFor(2 * 1024 ** 3)).toBeGreaterThan(cachedWorkflowsFor(1024 ** 3));
    expect(cachedWorkflowsFor(1024 ** 2)).toBe(MIN_CACHED_WORKFLOWS);
  });

  test("the workflow thread's heap holds the cached workflows and its sandbox, never less than a safe floor", () => {
    expect(workflowHeapMibFor(1000)).toBe(500 + 192);
    expect(workflowHeapMibFor(4000)).toBeGreaterThan(workflowHeapMibFor(1000));
    expect(workflowHeapMibFor(2)).toBe(384);
  });

  test('KLAXON_WORKER_MEMORY defaults to 1GiB and a bad value names the variable and the reason', () => {
    expect(envSchema.parse({}).KLAXON_WORKER_MEMORY).toBe(1024 ** 3);
    const r = envSchema.safeParse({ KLAXON_WORKER_MEMORY: '1GB' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['KLAXON_WORKER_MEMORY']);
    expect(r.error!.issues[0].message).toBe('"1GB" is not a memory size (use e.g. 768MiB, 1GiB, 2G)');
  });
});
