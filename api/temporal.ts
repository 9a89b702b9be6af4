import type { Client } from '@temporalio/client';

/** Every Temporal call from the API runs under a deadline: a stuck call answers 504, never hangs a request. */
export function withDeadline<T>(client: Client, deadlineMs: number, call: () => Promise<T>): Promise<T> {
  return client.withDeadline(Date.now() + deadlineMs, call);
}
