/**
 * Incident identity. Workflow ids are `incident/<tenant>/<hash of the grouping key>`, so every
 * re-send of one Alertmanager group lands on the same workflow; an incident id also names the run,
 * because a group that fires again after resolving is a new incident.
 * FNV-1a 64-bit keeps this dependency-free and usable inside workflow code.
 */
export function shortHash(text: string): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * prime) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

export function incidentWorkflowId(tenant: string, groupingKey: string): string {
  return `incident/${tenant}/${shortHash(groupingKey)}`;
}

export function incidentId(tenant: string, workflowId: string, runId: string, scheme: 'tail' | 'head' = 'tail'): string {
  const keyHash = workflowId.split('/').pop() ?? shortHash(workflowId);
  const run = runId.replace(/-/g, '');
  // The tail of the run id: servers issue time-ordered (v7) UUIDs whose head repeats for a minute.
  // `head` is the first scheme, kept so incidents started before the change keep their ids.
  return `${tenant}-${keyHash.slice(0, 10)}-${scheme === 'tail' ? run.slice(-10) : run.slice(0, 8)}`;
}
