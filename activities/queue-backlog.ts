// The event dispatchers' valve: they hold back while Temporal is far behind with the lifecycles (the main queue's
// workflow-task backlog, runtime/queue-backlog.ts), so a burst of events waits in PostgreSQL, where a customer's events
// gather into one signal, instead of in Temporal's backlog, where every signal is a task of its own and the server's
// persistence carries the queue.
import type { QueueBacklog } from '../runtime/queue-backlog.ts';

/**
 * Past either, new signals wait: a valve against a runaway backlog, not a pacer. Held at a few hundred tasks, delivery
 * went stop-and-go and the tasks it queued in bursts went through the server's backlog (slow: read back from its
 * store) instead of straight to a waiting poller: bench:events drained 120 events/s with a 1,000-task limit and 94
 * with 256, against 265 with none.
 */
export const BACKLOG_LIMIT: QueueBacklog = { tasks: 5_000, ageMs: 60_000 };

/** Whether a backlog reading says to hold new signals back. */
export const overLimit = (b: QueueBacklog | null, limit: QueueBacklog = BACKLOG_LIMIT): boolean =>
  b !== null && (b.tasks > limit.tasks || b.ageMs > limit.ageMs);
