import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface Poller {
  identity: string;
  lastAccessTime?: string;
}

/** Workers polling the task queue, as Temporal saw them (DescribeTaskQueue lists pollers of the last few minutes). */
export async function taskQueuePollers(connection: Pick<Connection, 'workflowService'>, namespace: string, taskQueue: string): Promise<{ workflow: Poller[]; activity: Poller[] }> {
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  const describe = async (taskQueueType: number) => {
    const r = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType });
    return (r.pollers ?? []).map((p) => ({
      identity: p.identity ?? '',
      ...(p.lastAccessTime?.seconds != null ? { lastAccessTime: new Date(Number(p.lastAccessTime.seconds) * 1000 + Math.floor((p.lastAccessTime.nanos ?? 0) / 1e6)).toISOString() } : {}),
    }));
  };
  const [workflow, activity] = await Promise.all([describe(TASK_QUEUE_TYPE_WORKFLOW), describe(TASK_QUEUE_TYPE_ACTIVITY)]);
  return { workflow, activity };
}
