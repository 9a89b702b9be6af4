// The one error middleware: every failure becomes `{error: {code, message, fields?}}` with the right status.
import {
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ConnectionException, DeadlockException, LockWaitTimeoutException } from '@mikro-orm/core';
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from '../runtime/logger.ts';
import type { FailureType } from '../workflows/lib/failures.ts';
import { redactUrl } from './redact.ts';

export interface FieldError {
  field: string;
  /** In English. */
  message: string;
  /** What is wrong, for a client that says it in its own words (the console in Chinese): see fieldCode. */
  code?: string;
  params?: Record<string, unknown>;
}

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields?: FieldError[];
  /** Seconds the caller should wait before retrying (sent as Retry-After). */
  readonly retryAfter?: number;
  constructor(status: number, code: string, message: string, fields?: FieldError[], retryAfter?: number) {
    super(message);
    this.status = status;
    this.code = code;
    if (fields) this.fields = fields;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}

export const badRequest = (message: string, fields?: FieldError[]) => new HttpError(400, 'bad_request', message, fields);
export const unauthorized = (message = 'a valid bearer token is required') => new HttpError(401, 'unauthorized', message);
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} was not found`);
export const conflict = (message: string) => new HttpError(409, 'conflict', message);
export const unprocessable = (message: string, fields?: FieldError[]) => new HttpError(422, 'unprocessable', message, fields);

/**
 * A union (one customer or a batch) that matched no branch: report the branch that came closest (fewest issues),
 * so the message names the bad field, not "invalid input".
 */
function flattenUnions(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((i) => {
    if (i.code !== 'invalid_union' || i.errors.length === 0) return [i];
    const closest = [...i.errors].sort((a, b) => a.length - b.length)[0]!;
    return flattenUnions(closest.map((e) => ({ ...e, path: [...i.path, ...e.path] })));
  });
}

export function zodFields(error: z.ZodError, prefix?: string): FieldError[] {
  return flattenUnions(error.issues).map((i) => {
    const path = i.path.map((p, n) => (typeof p === 'number' ? `[${p}]` : n === 0 ? String(p) : `.${String(p)}`)).join('');
    const field = [prefix, path].filter(Boolean).join('.') || (prefix ?? 'body');
    const message = i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message;
    return { field, message, ...fieldCode(i) };
  });
}

/**
 * A check's code and figures, from zod's issue; a refinement names its own code in its params (`{ code: 'not_after',
 * other: 'startAt' }`). A client says the known ones in its own words and shows `message` for the rest.
 */
function fieldCode(i: z.core.$ZodIssue): Pick<FieldError, 'code' | 'params'> {
  switch (i.code) {
    case 'too_small':
      return { code: i.code, params: { origin: i.origin, minimum: Number(i.minimum), inclusive: i.inclusive ?? true } };
    case 'too_big':
      return { code: i.code, params: { origin: i.origin, maximum: Number(i.maximum), inclusive: i.inclusive ?? true } };
    case 'invalid_type':
      return { code: i.code, params: { expected: i.expected, missing: /received undefined$/.test(i.message) } };
    case 'invalid_format':
      return { code: i.code, params: { format: i.format } };
    case 'invalid_value':
      return { code: i.code, params: { values: i.values.map(String) } };
    case 'unrecognized_keys':
      return { code: i.code, params: { keys: i.keys } };
    case 'custom': {
      const { code, ...params } = (i.params ?? {}) as Record<string, unknown>;
      if (typeof code !== 'string') return {};
      return Object.keys(params).length ? { code, params } : { code };
    }
    default:
      return {};
  }
}

/** Failure types raised on purpose by workflows and what they mean over HTTP. */
const FAILURE_STATUS: Record<FailureType, [number, string]> = {
  NotFound: [404, 'not_found'],
  Conflict: [409, 'conflict'],
  Forbidden: [403, 'forbidden'],
  Unprocessable: [422, 'unprocessable'],
};

// gRPC status codes from the Temporal service.
const GRPC = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9, UNAVAILABLE: 14, CANCELLED: 1 };

export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof z.ZodError) return badRequest('the request is invalid', zodFields(err));
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && FAILURE_STATUS[cause.type as FailureType]) {
      const [status, code] = FAILURE_STATUS[cause.type as FailureType];
      return new HttpError(status, code, cause.message);
    }
    return conflict(cause?.message ?? err.message);
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new HttpError(
      504,
      'timeout',
      'no worker answered before the deadline; the request is not confirmed and may still apply when a worker picks it up, so read the item again before retrying',
    );
  }
  if (err instanceof WorkflowNotFoundError) {
    return conflict('the process behind this item has already finished');
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) return conflict('this process is already running');
  if (err instanceof ConnectionException || isDatabaseUnavailable(err)) return databaseUnavailable();
  const dataError = sqlDataException(err);
  if (dataError) return badRequest(`a value cannot be stored: ${dataError}`);
  if (err instanceof DeadlockException || err instanceof LockWaitTimeoutException) {
    return conflict('a concurrent change to the same data won; read it again and retry');
  }
  const grpc = grpcCode(err);
  if (grpc === GRPC.DEADLINE_EXCEEDED || grpc === GRPC.CANCELLED) {
    return new HttpError(504, 'timeout', 'no answer before the deadline; read the item again before retrying');
  }
  if (grpc === GRPC.UNAVAILABLE) return temporalUnavailable();
  if (grpc === GRPC.NOT_FOUND) return conflict('the process behind this item has already finished');
  if (grpc === GRPC.FAILED_PRECONDITION) return conflict(errorMessage(err));
  const status = (err as { status?: number; statusCode?: number })?.status ?? (err as { statusCode?: number })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // body-parser: malformed JSON, payload too large, unsupported charset.
    const type = (err as { type?: string }).type;
    const message = type === 'entity.parse.failed' ? 'the body is not valid JSON' : errorMessage(err);
    return new HttpError(status, status === 413 ? 'too_large' : 'bad_request', message);
  }
  return undefined;
}

export function grpcCode(err: unknown): number | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e instanceof ServiceError || (e as { code?: unknown }).code !== undefined) {
      const code = (e as { code?: unknown }).code ?? ((e as ServiceError).cause as { code?: unknown } | undefined)?.code;
      if (typeof code === 'number') return code;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Seconds a caller is told to wait while Temporal is unreachable (the gate reopens the moment it is back). */
export const TEMPORAL_RETRY_AFTER_S = 2;
export const temporalUnavailable = () =>
  new HttpError(503, 'unavailable', 'the workflow service (Temporal) is unavailable; retry shortly', undefined, TEMPORAL_RETRY_AFTER_S);
/** Seconds a caller is told to wait while PostgreSQL is unreachable. */
export const DATABASE_RETRY_AFTER_S = 5;
export const databaseUnavailable = () =>
  new HttpError(503, 'unavailable', 'the database is unavailable; retry shortly', undefined, DATABASE_RETRY_AFTER_S);

/**
 * PostgreSQL refusing or dropping connections: SQLSTATE class 08 (connection exception), 53 (insufficient resources:
 * too many connections), 57P01-57P05 (shutdown, cannot connect now, database dropped, idle timeout), 55000 when the
 * database does not allow connections; the socket's own errors; and pg's pool and client words for the same.
 */
/** An error and its causes, outermost first (a driver error is wrapped by the ORM). */
function* causes(err: unknown): Generator<{ code?: unknown; message?: unknown }> {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    yield e as { code?: unknown; message?: unknown };
  }
}

/**
 * PostgreSQL's data exceptions (SQLSTATE class 22: a value out of range, malformed, too long) come from what the
 * caller sent, where a schema let it through: the first line of PostgreSQL's own words, or undefined.
 */
function sqlDataException(err: unknown): string | undefined {
  for (const { code, message } of causes(err)) {
    if (typeof code === 'string' && /^22...$/.test(code)) return String(message ?? code).split('\n')[0];
  }
  return undefined;
}

export function isDatabaseUnavailable(err: unknown): boolean {
  if (grpcCode(err) !== undefined) return false; // Temporal's transport errors carry numeric gRPC codes
  for (const { code, message } of causes(err)) {
    const text = typeof message === 'string' ? message : '';
    if (typeof code === 'string') {
      if (/^(08|53)...$/.test(code) || /^57P0[1-5]$/.test(code)) return true;
      if (code === '55000' && /connections/i.test(text)) return true;
      if (SOCKET_ERRORS.has(code)) return true;
    }
    if (
      /Connection terminated|timeout exceeded when trying to connect|not queryable|Cannot use a pool after calling end|connect ECONNREFUSED/i.test(
        text,
      )
    )
      return true;
  }
  return false;
}
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const http = toHttpError(err);
    if (!http) {
      log.error({ err, method: req.method, path: redactUrl(req.path) }, 'unhandled error');
      res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
      return;
    }
    if (http.status >= 500) log.warn({ err, path: redactUrl(req.path) }, http.message);
    if (http.retryAfter !== undefined) res.set('Retry-After', String(http.retryAfter));
    res.status(http.status).json({ error: { code: http.code, message: http.message, ...(http.fields ? { fields: http.fields } : {}) } });
  };
}
