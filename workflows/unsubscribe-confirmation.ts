// The email confirming a customer's unsubscription (with the link to subscribe again), once per unsubscription:
// started by the API when the customer unsubscribes, and by the redelivery sweep for one the API could not start.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createCustomerEmailActivities } from '../activities/customer-email.ts';
import { profiles } from './lib/activity-profiles.ts';
import type { SendOutcome } from '../domain/lifecycle.ts';

const { sendCustomerEmail } = proxyActivities<ReturnType<typeof createCustomerEmailActivities>>(profiles.send);
const { markUnsubscribeConfirmed } = proxyActivities<ReturnType<typeof createCustomerEmailActivities>>(profiles.db);

export interface UnsubscribeConfirmationInput {
  customerId: string;
  /** The unsubscription this confirms (ISO); a resubscription in between leaves nothing to confirm. */
  unsubscribedAt: string;
}

export async function unsubscribeConfirmation(input: UnsubscribeConfirmationInput): Promise<SendOutcome | { status: 'not_needed' }> {
  const { workflowId } = workflowInfo();
  const still = await markUnsubscribeConfirmed({ ...input, phase: 'check' });
  if (!still) return { status: 'not_needed' };
  const outcome = await sendCustomerEmail({
    idempotencyKey: `${workflowId}:email`,
    workflowId,
    customerId: input.customerId,
    template: 'unsubscribeConfirmation',
    category: 'transactional',
    data: {},
  });
  await markUnsubscribeConfirmed({ ...input, phase: 'done' });
  return outcome;
}
