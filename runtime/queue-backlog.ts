// How far behind Temporal is with the lifecycles: the workflow-task backlog of the main task queue, as the server
// reports it (DescribeTaskQueue with stats; Temporal Server 1.25+ and Cloud). The event dispatchers hold back while it
// is long (activities/queue-backlog.ts), and GET /events/ingest-status shows it: events handed to their lifecycles
// (delivered) wait there until a worker applies them.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

export interface QueueBacklog {
  /** Workflow tasks waiting for a worker. */
  tasks: number;
  /** How long the oldest of them has waited. */
  ageMs: number;
}

/** A process asks the server at most this often, however many shards it delivers or statuses it answers. */
const READ_EVERY_MS = 1_000;

const { TASK_QUEUE_TYPE_WORKFLOW } = proto.temporal.api.enums.v1.TaskQueueType;
const { TASK_QUEUE_KIND_NORMAL } = proto.temporal.api.enums.v1.TaskQueueKind;

/**
 * A reading of `taskQueue`'s workflow-task backlog, at most READ_EVERY_MS old; null when the server gives no stats
 * or cannot be asked. `call` wraps the request (the API's deadline, so an outage answers null at once).
 */
export function queueBacklog(
  client: Client,
  taskQueue: string,
  call: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): () => Promise<QueueBacklog | null> {
  let last: { at: number; value: QueueBacklog | null } | undefined;
  let reading: Promise<QueueBacklog | null> | undefined;
  const read = async (): Promise<QueueBacklog | null> => {
    let value: QueueBacklog | null = null;
    try {
      const { stats } = await call(() =>
        client.workflowService.describeTaskQueue({
          namespace: client.options.namespace,
          taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
          taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
          reportStats: true,
        }),
      );
      if (stats) {
        const age = stats.approximateBacklogAge;
        value = {
          tasks: Number(stats.approximateBacklogCount ?? 0),
          ageMs: age ? Number(age.seconds ?? 0) * 1000 + Math.floor((age.nanos ?? 0) / 1e6) : 0,
        };
      }
    } catch {
      value = null;
    }
    last = { at: Date.now(), value };
    return value;
  };
  return () => {
    if (last && Date.now() - last.at < READ_EVERY_MS) return Promise.resolve(last.value);
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  };
}
