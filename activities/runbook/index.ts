import type { ActivityDeps } from '../index';
import type { RunbookStepActivities } from '../../src/runbook/stepTypes';
import { createHttpStep } from './http';
import { createPromQueryStep } from './prometheus';
import { createSilenceSteps } from './silences';
import { createExecStep } from './exec';

export { STEP_FAILURE } from './failures';

/**
 * The activities behind a runbook's steps (src/runbook/stepTypes.ts): every side effect a runbook
 * has, each checked against the tenant's `runbooks:` settings (kill switch, allow-lists) first.
 */
export function createRunbookActivities(deps: Pick<ActivityDeps, 'config'>): RunbookStepActivities {
  return {
    runbookHttp: createHttpStep(deps),
    runbookPromQuery: createPromQueryStep(deps),
    ...createSilenceSteps(deps),
    runbookExec: createExecStep(deps),
  };
}
