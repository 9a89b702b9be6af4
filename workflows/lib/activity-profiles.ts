import type { ActivityOptions } from '@temporalio/workflow';

/** Named option profiles: every activity call picks one, so every call has a start-to-close timeout. */
export const profiles = {
  /** Short database writes and reads. */
  db: {
    startToCloseTimeout: '15s',
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
  },
  /** Email and webhook sends: slower peers, a ledger makes retries safe; give up after a while. */
  send: {
    startToCloseTimeout: '1m',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 12 },
  },
  /** Long batch statements (RFM scoring): one transaction that may take minutes; retries are idempotent. */
  batch: {
    startToCloseTimeout: '10m',
    retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 6 },
  },
  /** Signals to every member of a segment: long for a big one, heartbeating its cursor and resumed from it. */
  fanOut: {
    startToCloseTimeout: '1h',
    heartbeatTimeout: '1m',
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 10 },
  },
} satisfies Record<string, ActivityOptions>;
