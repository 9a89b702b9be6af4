// Customer lifecycle messages: frozen wire contract shared by the workflow and the API.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { EventsSignal, LifecycleView } from './lifecycle.types.ts';

/** Events from the outside world: a batch of one customer's events (signal-with-start from the API). */
export const recordEvents = defineSignal<[EventsSignal]>('recordEvents');
export const getLifecycle = defineQuery<LifecycleView>('getLifecycle');
