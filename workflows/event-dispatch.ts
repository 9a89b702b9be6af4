// An event shard's dispatcher: runs for good, delivering the shard's stored events to their lifecycles. The activity
// works through the backlog (and heartbeats) until the shard is empty or its time is up; then the dispatcher waits
// for the API's next wake, or looks again after `idleCheck` (a wake lost while Temporal was unreachable).
import { allHandlersFinished, condition, continueAsNew, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createEventDeliveryActivities } from '../activities/event-delivery.ts';
import { durationToMs } from '../domain/durations.ts';
import { wakeDispatcher, type EventDispatchInput } from './event-dispatch.messages.ts';
import { Alarm } from './lib/timer.ts';

const { dispatchShardEvents } = proxyActivities<ReturnType<typeof createEventDeliveryActivities>>({
  startToCloseTimeout: '5m',
  // A worker that died mid-pass is noticed in half a minute; its lease is the same dispatcher's, so the retry takes it.
  heartbeatTimeout: '30s',
  // Temporal failing or slow: the pass stops at the first signal that fails and the retries back off, never piling up.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** Passes per run before continue-as-new, whatever the history's size. */
const PASSES_PER_RUN = 500;

export async function eventDispatcher(input: EventDispatchInput): Promise<void> {
  let woken = false;
  setHandler(wakeDispatcher, () => {
    woken = true;
  });
  const elsewhere = input.taskQueue !== workflowInfo().taskQueue;
  // Runs started before `dispatcher-alarm` cancelled their idle timer at every wake, as their histories say.
  const alarm = patched('dispatcher-alarm') ? new Alarm() : null;
  const idleCheckMs = durationToMs(input.idleCheck ?? '30s');
  for (let passes = 0; ; passes++) {
    if (workflowInfo().continueAsNewSuggested || passes >= PASSES_PER_RUN) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof eventDispatcher>(input);
    }
    woken = false;
    const { more } = await dispatchShardEvents({ shard: input.shard });
    // A run on the shared queue hands over when idle: the API's next wake starts its successor on the dispatchers' queue.
    if (!more && !woken && elsewhere && patched('dispatcher-own-queue')) return;
    // A wake during the pass may be for events stored after it looked: look again.
    if (more) continue;
    if (alarm) {
      // Looks again within `idleCheck` of this pass: a busy dispatcher's timer, once started, serves the passes after it.
      await alarm.wait(Date.now() + idleCheckMs, () => woken);
      alarm.takeRing();
    } else await condition(() => woken, idleCheckMs);
  }
}
