// Customer lifecycle messages: frozen wire contract shared by the workflow and the API.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { EventsSignal, LifecycleView, WinBackRequest } from '../domain/lifecycle.types.ts';

/** Events from the outside world: a batch of one customer's events (signal-with-start from the API). */
export const recordEvents = defineSignal<[EventsSignal]>('recordEvents');
/** Start a win-back now (a rule for the customer's segment fired); a customer already in one, or never active, stays. */
export const startWinBack = defineSignal<[WinBackRequest]>('startWinBack');
export const getLifecycle = defineQuery<LifecycleView>('getLifecycle');
