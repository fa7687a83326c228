import { condition } from '@temporalio/workflow';
import type { IncidentView } from '../src/incident/view';
import { Pager, type PendingSend } from '../src/delivery/pager';
import { auditWriter } from './auditWriter';


export interface NoticesInput {
  tenant: string;
  groupKey: string;
  /** The incident as it ended (no timeline). */
  incident: IncidentView;
  /** Resolve notices, plus any acknowledgement notice the incident had not finished. */
  sends: PendingSend[];
  /** Audit sequence numbers firstSeq … firstSeq + sends.length - 1 are reserved for the outcomes. */
  firstSeq: number;
}

/**
 * Finishes an ended incident's notices (resolved, in each paged thread) after the incident's own
 * run has completed, so the group's workflow id is free at once: a re-fire during a vendor outage
 * opens a new incident and pages instead of landing in the resolved one.
 */
export async function incidentNoticesWorkflow(input: NoticesInput): Promise<void> {
  const recordIncident = auditWriter().write;
  let seq = input.firstSeq;
  const last = input.firstSeq + input.sends.length;
  const events: Array<{ seq: number; at: string; kind: string; actor: string; details: Record<string, unknown> }> = [];
  const pager = new Pager({
    paged: new Map(),
    // One outcome per send, so the reserved numbers are exactly enough; never more.
    record: (kind, details) => {
      if (seq < last) events.push({ seq: seq++, at: new Date().toISOString(), kind, actor: 'klaxon', details });
    },
    message: (to, kind) => ({ tenant: input.tenant, receiver: to.receiver, recipient: to.recipient, kind, incident: input.incident }),
  });
  for (const s of input.sends) pager.start(s);
  for (;;) {
    await condition(() => events.length > 0 || pager.idle);
    const batch = events.splice(0);
    if (batch.length) await recordIncident({ incident: { ...input.incident, groupKey: input.groupKey }, events: batch });
    if (pager.idle && events.length === 0) return;
  }
}
