import type { Runbook } from './define';

/**
 * The runbooks compiled into the workflow bundle. The bundler maps `klaxon-runbooks` to a module
 * it generates from the runbooks folder (src/temporal/bundle.ts); this empty one stands in for
 * type checks and for a bundle built without runbooks.
 */
export const runbooks: Record<string, Runbook> = {};
