// The event dispatchers' wire contract: one long-running workflow per event shard, woken by the API after it stores a
// batch (signal-with-start, so a missing dispatcher starts), on a task queue of their own beside the lifecycles'.
import type { Duration } from '@temporalio/common';
import { defineSignal } from '@temporalio/workflow';

export { eventDispatcherId } from '../domain/ids.ts';

/**
 * The dispatchers' task queue (and their activities'): a worker process polls it beside the main one, so a dispatcher's
 * next pass never waits behind the lifecycle tasks its own signals queued.
 */
export const dispatcherTaskQueue = (taskQueue: string): string => `${taskQueue}-events`;

export interface EventDispatchInput {
  shard: number;
  /**
   * The queue the dispatcher is meant to run on (dispatcherTaskQueue). A run elsewhere (started before dispatchers had
   * a queue of their own) ends once its shard is empty, and the next wake starts its successor there.
   */
  taskQueue?: string;
  /** How long an idle dispatcher waits for a wake before it looks for work anyway (a wake lost in an outage). */
  idleCheck?: Duration;
}

/** New events are stored for this shard: look now. */
export const wakeDispatcher = defineSignal('wakeDispatcher');
