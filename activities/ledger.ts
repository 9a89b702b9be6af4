// Shared by the send ledgers (email_outbox, webhook_deliveries).
import { ApplicationFailure } from '@temporalio/activity';

/** Another attempt holds the send: retry once its lease has run out, not on the usual backoff. */
export function leaseHeld(what: string, leaseSeconds: number | null | undefined): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${what} is being sent by another attempt; retrying after its lease`,
    type: 'LeaseHeld',
    nextRetryDelay: `${Math.ceil(Math.max(1, leaseSeconds ?? 1))}s`,
  });
}

/** The failure leaseHeld makes: another attempt is sending it. */
export const isLeaseHeld = (err: unknown): err is ApplicationFailure => err instanceof ApplicationFailure && err.type === 'LeaseHeld';
