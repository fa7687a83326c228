/**
 * The worker's memory budget (KLAXON_WORKER_MEMORY) turned into the size of its sticky workflow
 * cache and the heap of the thread that runs workflows. A cached incident answers its timer or
 * signal at once; an evicted one replays its (small) history first, a few milliseconds. Parked
 * incidents beyond the cache cost nothing in the worker, so memory stays flat however many are
 * open (issue #11; BENCHMARKS.md: Escalation timers).
 */

const MIB = 1024 ** 2;
const UNITS: Record<string, number> = { KIB: 1024, MIB, GIB: 1024 ** 3, K: 1024, M: MIB, G: 1024 ** 3 };

/** `1GiB`, `768MiB`, `1.5G` → bytes; undefined for anything else. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB|K|M|G)\s*$/i.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()]);
}

/**
 * Measured with `npm run bench -- escalation` (2 cores, Node 20): a process running everything
 * (HTTP server, client, worker, workflow bundle loaded) holds about 600 MiB before any incident;
 * each cached incident workflow about 0.5 MiB (its own evaluation of the workflow modules plus its
 * state).
 */
export const WORKER_BASE_BYTES = 600 * MIB;
export const CACHED_WORKFLOW_BYTES = 0.5 * MIB;
/** The SDK's least (a smaller budget still runs, replaying on nearly every task; the start logs it). */
export const MIN_CACHED_WORKFLOWS = 2;
export const MAX_CACHED_WORKFLOWS = 20_000;
/** The workflow thread's heap beyond its cached workflows (sandbox, bundle, activations in flight). */
const WORKFLOW_HEAP_BASE_MIB = 192;
/** Never less: a tiny budget must not make the workflow thread run out of heap. */
const MIN_WORKFLOW_HEAP_MIB = 384;

export const DEFAULT_WORKER_MEMORY = '1GiB';

/** How many workflows the worker keeps cached within `budgetBytes` of RSS. */
export function cachedWorkflowsFor(budgetBytes: number): number {
  const n = Math.floor((budgetBytes - WORKER_BASE_BYTES) / CACHED_WORKFLOW_BYTES);
  return Math.min(MAX_CACHED_WORKFLOWS, Math.max(MIN_CACHED_WORKFLOWS, n));
}

/**
 * The old-space limit (MiB) of the thread that runs workflows: room for the cached workflows and
 * the sandbox. Without it V8 sizes the heap from the machine's memory (4 GiB here) and collects
 * late, so the garbage of evicted and replayed workflows, not the cache, set the RSS (the 10,000
 * incident bench peaked at 1.7 GB; capped, it stays near the budget).
 */
export function workflowHeapMibFor(cachedWorkflows: number): number {
  return Math.max(MIN_WORKFLOW_HEAP_MIB, Math.ceil((cachedWorkflows * CACHED_WORKFLOW_BYTES) / MIB) + WORKFLOW_HEAP_BASE_MIB);
}
