import { ApplicationFailure } from '@temporalio/workflow';

/**
 * Failure types a validator or workflow raises on purpose; the API maps each to an HTTP status
 * (api/errors.ts), so the names are part of the wire contract.
 */
export const FailureType = {
  NotFound: 'NotFound',
  Conflict: 'Conflict',
  Forbidden: 'Forbidden',
  Unprocessable: 'Unprocessable',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export const notFound = (message: string) => ApplicationFailure.nonRetryable(message, FailureType.NotFound);
export const conflict = (message: string) => ApplicationFailure.nonRetryable(message, FailureType.Conflict);
export const forbidden = (message: string) => ApplicationFailure.nonRetryable(message, FailureType.Forbidden);
export const unprocessable = (message: string) => ApplicationFailure.nonRetryable(message, FailureType.Unprocessable);
