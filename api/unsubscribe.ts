// Unsubscribing, as staff (POST /customers/:id/unsubscribe) and customers (the link in an email) both do it.
import { markUnsubscribed, type Unsubscriber } from '../db/subscriptions.ts';
import type { unsubscribeConfirmation } from '../workflows/unsubscribe-confirmation.ts';
import { unsubscribeConfirmationId } from '../domain/ids.ts';
import type { ApiDeps } from './app.ts';

/**
 * Marks the customer unsubscribed (once; the first time is kept), audits it, and starts the confirmation email (at
 * most one per unsubscription by its workflow id; if Temporal cannot be reached now, the redelivery sweep starts it).
 * Null when there is no such customer.
 */
export async function unsubscribe(
  deps: Pick<ApiDeps, 'orm' | 'temporal' | 'taskQueue' | 'deadline' | 'log'>,
  by: 'id' | 'unsubscribe_token',
  value: string,
  who: Unsubscriber,
): Promise<{ id: string; changed: boolean; locale: string | null } | null> {
  const row = await markUnsubscribed(deps.orm, by, value, who);
  if (!row) return null;
  if (row.changed) {
    const input = { customerId: row.id, unsubscribedAt: new Date(row.unsubscribedAt).toISOString() };
    const workflowId = unsubscribeConfirmationId(input.customerId, input.unsubscribedAt);
    await deps
      .deadline(() =>
        deps.temporal.workflow.start<typeof unsubscribeConfirmation>('unsubscribeConfirmation', {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [input],
        }),
      )
      .catch((err: unknown) => {
        deps.log.warn({ err, customerId: row.id }, 'the unsubscribe confirmation waits for the redelivery sweep');
      });
  }
  return { id: row.id, changed: row.changed, locale: row.locale };
}
