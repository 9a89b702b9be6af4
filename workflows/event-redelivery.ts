// The redelivery sweep, run by a Schedule: events stored by POST /events whose signal never went out (the API died
// between the two, Temporal was unreachable and the caller did not retry) still reach their lifecycle; unsubscriptions
// whose confirmation email the API could not start get it.
import { patched, proxyActivities } from '@temporalio/workflow';
import type { createEventDeliveryActivities } from '../activities/event-delivery.ts';
import { profiles } from './lib/activity-profiles.ts';

const { redeliverPendingEvents, confirmPendingUnsubscriptions } = proxyActivities<ReturnType<typeof createEventDeliveryActivities>>(
  profiles.batch,
);

export async function redeliverEvents(): Promise<{ delivered: number; customers: number }> {
  const { delivered, customers } = await redeliverPendingEvents();
  // And the unsubscribe confirmations the API could not start.
  if (patched('unsubscribe-confirmations')) await confirmPendingUnsubscriptions();
  return { delivered, customers };
}
