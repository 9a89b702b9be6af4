// How far behind Temporal is with the lifecycles: the workflow-task backlog of the main task queue, as the server
// reports it (DescribeTaskQueue with stats; Temporal Server 1.25+ and Cloud). The event dispatchers hold back while it
// is long, so a burst of events waits in PostgreSQL, where a customer's events gather into one signal, instead of
// in Temporal's backlog, where every signal is a task of its own and the server's persistence carries the queue.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

export interface QueueBacklog {
  /** Workflow tasks waiting for a worker. */
  tasks: number;
  /** How long the oldest of them has waited. */
  ageMs: number;
}

/**
 * Past either, new signals wait: a valve against a runaway backlog, not a pacer. Held at a few hundred tasks, delivery
 * went stop-and-go and the tasks it queued in bursts went through the server's backlog (slow: read back from its
 * store) instead of straight to a waiting poller: bench:events drained 120 events/s with a 1,000-task limit and 94
 * with 256, against 265 with none.
 */
export const BACKLOG_LIMIT: QueueBacklog = { tasks: 5_000, ageMs: 60_000 };
/** A process asks the server at most this often, however many shards it delivers. */
const READ_EVERY_MS = 1_000;

const { TASK_QUEUE_TYPE_WORKFLOW } = proto.temporal.api.enums.v1.TaskQueueType;
const { TASK_QUEUE_KIND_NORMAL } = proto.temporal.api.enums.v1.TaskQueueKind;

/**
 * A reading of `taskQueue`'s workflow-task backlog, at most READ_EVERY_MS old; null when the server gives no stats
 * or cannot be asked (then only a failing signal holds delivery back, as before).
 */
export function queueBacklog(client: Client, taskQueue: string): () => Promise<QueueBacklog | null> {
  let last: { at: number; value: QueueBacklog | null } | undefined;
  let reading: Promise<QueueBacklog | null> | undefined;
  const read = async (): Promise<QueueBacklog | null> => {
    let value: QueueBacklog | null = null;
    try {
      const { stats } = await client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
        taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
        reportStats: true,
      });
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

/** Whether a backlog reading says to hold new signals back. */
export const overLimit = (b: QueueBacklog | null, limit: QueueBacklog = BACKLOG_LIMIT): boolean =>
  b !== null && (b.tasks > limit.tasks || b.ageMs > limit.ageMs);
