import { proxyActivities, proxySinks, type Sinks } from '@temporalio/workflow';

/**
 * The cheapest possible workflows (one workflow task, no activities) for the bench's ceiling
 * measurements. `incidentWorkflow` carries the product's workflow type name so Klaxon's own
 * IngestService can start it: that measures Klaxon's exact Temporal call without the incident's work.
 */
export async function benchTrivialWorkflow(): Promise<void> {
  // Not a command (nothing in history): tells the bench the run's one task is done, so the
  // ceiling's CPU counts the whole of what a start costs the server, its workflow task included.
  bench.done();
}

export interface BenchSinks extends Sinks {
  bench: { done(): void };
}
const { bench } = proxySinks<BenchSinks>();

export async function incidentWorkflow(_input: unknown): Promise<void> {}

export interface BenchPageActivities {
  benchPost(url: string, body: string): Promise<void>;
}

const { benchPost } = proxyActivities<BenchPageActivities>({ startToCloseTimeout: '10s' });

/**
 * The least a durable page can be: a workflow that runs one activity POSTing to the receiver. The
 * paging rate of a burst of these is what Klaxon's incidents are compared with (issue #11).
 */
export async function benchPageWorkflow(url: string, incidentId: string): Promise<void> {
  await benchPost(url, JSON.stringify({ kind: 'firing', incident: { id: incidentId } }));
}
