import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { NoticesInput } from '../workflows/notices';
import { staticSummary } from '../src/incident/uiMetadata';

/**
 * Starts the workflow that finishes an ended incident's notices. A separate top-level workflow
 * (not a child): the incident's run completes at once and its workflow id is free for a re-fire.
 * Idempotent: a retry that finds it started is done.
 */
export function createStartNoticesActivity(deps: { temporal?: Client }) {
  return async function startIncidentNotices(args: { workflowId: string; input: NoticesInput }): Promise<void> {
    if (!deps.temporal) throw new Error('this worker has no Temporal client to start the notices workflow');
    try {
      await deps.temporal.workflow.start('incidentNoticesWorkflow', {
        workflowId: args.workflowId,
        taskQueue: Context.current().info.taskQueue,
        args: [args.input],
        // The Web UI lists it beside its incident (encrypted like every payload).
        staticSummary: staticSummary({ title: `resolved notices: ${args.input.incident.title}` }),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  };
}
