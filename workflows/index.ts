// Everything the worker's workflow bundle contains.
export { incidentWorkflow } from './incident';
export { retrainWorkflow } from './retrain';
export { incidentNoticesWorkflow } from './notices';
export { runbookWorkflow } from './runbook';
export { heartbeatWorkflow } from './heartbeat';
export { retentionWorkflow } from './retention';
