import type { ConfigStore } from '../src/config/store';
import type { IncidentStore } from '../src/store/incidents';
import type { NotificationLedger } from '../src/store/notifications';
import type { NotifierContext } from '../src/notifiers/types';
import { createAuditActivity } from './audit';
import { createNotifyActivity } from './notify';
import { createPlanActivity } from './plan';
import { createRecipientsActivity } from './recipients';

export type { PlanStep, Plan } from './plan';
export type { NotifyArgs, NotifyResult } from './notify';
export type { Recipients, Send } from './recipients';

export interface ActivityDeps {
  config: ConfigStore;
  incidents: IncidentStore;
  ledger: NotificationLedger;
  notifier: NotifierContext;
  namespace: string;
}

/** Every side effect the workflows ask for, bound to the process's config, store and HTTP client. */
export function createActivities(deps: ActivityDeps) {
  return {
    planIncident: createPlanActivity(deps),
    recordIncident: createAuditActivity(deps),
    notify: createNotifyActivity(deps),
    resolveRecipients: createRecipientsActivity(deps),
  };
}

export type KlaxonActivities = ReturnType<typeof createActivities>;
