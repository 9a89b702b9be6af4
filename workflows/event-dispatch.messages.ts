// The event dispatchers' wire contract: one long-running workflow per event shard, woken by the API after it stores a
// batch (signal-with-start, so a missing dispatcher starts).
import type { Duration } from '@temporalio/common';
import { defineSignal } from '@temporalio/workflow';

export { eventDispatcherId } from './ids.ts';

export interface EventDispatchInput {
  shard: number;
  /** How long an idle dispatcher waits for a wake before it looks for work anyway (a wake lost in an outage). */
  idleCheck?: Duration;
}

/** New events are stored for this shard: look now. */
export const wakeDispatcher = defineSignal('wakeDispatcher');
