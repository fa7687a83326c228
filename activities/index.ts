import type { ConfigStore } from '../src/config/store';
import type { IncidentStore } from '../src/store/incidents';
import type { NotificationLedger } from '../src/delivery/ledger';
import type { NotificationAttempts } from '../src/delivery/attempts';
import type { NotifierContext } from '../src/notifiers/types';
import type { ReceiverLimits } from '../src/notifiers/deliver';
import type { ModelStore } from '../src/store/models';
import { createAuditActivity, createAuditWrite } from './audit';
import { createNotifyActivity } from '../src/delivery/notifyActivity';
import { createOpeningFacts, createPlanActivity } from './plan';
import { createRecipientsActivity } from './recipients';
import { createClassifyActivity } from './classify';
import { createTrainingActivities } from './training';
import { createStartNoticesActivity } from './notices';
import { createInhibitionActivity } from './inhibition';
import { createRunbookRunActivities } from './runbookRuns';
import type { RunbookStore } from '../src/store/runbooks';
import type { RunbookSet } from '../src/runbook/load';
import { createRunbookActivities } from './runbook';
import { createRetentionActivity } from './retention';
import type { AuditKey } from '../src/audit/key';
import type { Queryable } from '../src/store/lanes';
import type { Client } from '@temporalio/client';
import type { IngestService } from '../src/ingest/ingest';
import { createHeartbeatActivities } from './heartbeats';
import { createOpenActivity } from './open';

export type { PlanStep, Plan } from './plan';
export type { NotifyArgs, NotifyResult } from '../src/delivery/notifyActivity';
export type { Recipients, Send } from './recipients';
export type { ClassifyArgs, Classification } from './classify';
export type { TrainingOptions } from './training';
export type { RunbookMatch, RunbookStart } from './runbookRuns';
export type { OpenArgs, Opened } from './open';

export interface ActivityDeps {
  config: ConfigStore;
  incidents: IncidentStore;
  ledger: NotificationLedger;
  /** Failed notification tries, for the incident's timeline. */
  attempts: NotificationAttempts;
  notifier: NotifierContext;
  /** Rate limits and circuit breakers shared by every worker (Postgres); absent: this process's own. */
  limits?: ReceiverLimits;
  namespace: string;
  /** Starts follow-up workflows (resolve notices); the worker's own client. */
  temporal?: Client;
  /** Anomaly models (classify, retrain); without it classify pages on the declared severity. */
  models?: ModelStore;
  /** Runbook runs and their timeline rows; without them no runbook starts. */
  runbookStore?: RunbookStore;
  /** The runbooks loaded from KLAXON_RUNBOOKS (their metadata: match, mode, limits). */
  runbookSet?: RunbookSet;
  /** Opens incidents as the webhook does (a heartbeat's missed beat). */
  ingest?: IngestService;
  /** The audit store and chain key the daily retention run deletes with; without it retention is skipped. */
  retention?: { pool: Queryable; key: AuditKey };
}

/** Every side effect the workflows ask for, bound to the process's config, store and HTTP client. */
export function createActivities(deps: ActivityDeps) {
  const auditWrite = createAuditWrite(deps);
  const opening = { planIncident: createPlanActivity(deps), resolveRecipients: createRecipientsActivity(deps), classifyIncident: createClassifyActivity(deps) };
  return {
    ...opening,
    openIncident: createOpenActivity({ ...opening, openingFacts: createOpeningFacts(deps) }),
    recordIncident: createAuditActivity(deps),
    notify: createNotifyActivity({ ...deps, audit: (incident, events) => auditWrite(incident, events, { summary: 'while-firing' }) }),
    startIncidentNotices: createStartNoticesActivity(deps),
    recheckInhibited: createInhibitionActivity(deps),
    applyRetention: createRetentionActivity(deps),
    ...createRunbookRunActivities(deps),
    ...createTrainingActivities(deps),
    ...createRunbookActivities(deps),
    ...createHeartbeatActivities(deps),
  };
}

export type KlaxonActivities = ReturnType<typeof createActivities>;
