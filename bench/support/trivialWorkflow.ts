/**
 * The cheapest possible workflows (one workflow task, no activities) for the bench's ceiling
 * measurements. `incidentWorkflow` carries the product's workflow type name so Klaxon's own
 * IngestService can start it: that measures Klaxon's exact Temporal call without the incident's work.
 */
export async function benchTrivialWorkflow(): Promise<void> {}

export async function incidentWorkflow(_input: unknown): Promise<void> {}
