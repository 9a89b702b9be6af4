// The typed API client: paths and shapes come from schema.d.ts, generated from the API's own OpenAPI document, so a
// renamed field or route fails the console's type-check. Same origin: the session cookie goes along by itself.
import createClient, { type Middleware } from 'openapi-fetch';
import i18n from '../i18n.ts';
import { fieldMessage, fieldsSummary } from './field-messages.ts';
import type { components, paths } from './schema.d.ts';

export type Task = paths['/tasks']['get']['responses']['200']['content']['application/json']['items'][number];
export type Session = paths['/auth/session']['get']['responses']['200']['content']['application/json'];
export type Role = Session['operator']['roles'][number];
type ApiErrorBody = components['schemas']['Error'];
/** An openapi-fetch answer. */
export type Answer<T> = { data?: T; error?: unknown; response: Response };

let csrfToken: string | undefined;
/** Remembered from the session (never from a cookie: that one is HttpOnly); sent on every write. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', credentials: 'same-origin' });
api.use(csrf);

/**
 * An API refusal with its status and the API's own message (shown to the operator as is), or an outage (503, with
 * the seconds its Retry-After asks for) or a workflow that did not answer in time (504).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly retryAfter: number | null;
  constructor(status: number, message: string, retryAfter: number | null = null) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

const seconds = (header: string | null) => (header && /^\d+$/.test(header) ? Number(header) : null);

/** Unwraps an openapi-fetch answer: its data, or an ApiError with the API's message. */
export function unwrap<T>(result: Answer<T>): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = result.error as Partial<ApiErrorBody> | undefined;
    const fields = body?.error?.fields?.map((f) => `${f.field}: ${f.message}`) ?? [];
    const message = body?.error?.message ?? `${result.response.status} ${result.response.statusText}`;
    throw new ApiError(result.response.status, [message, ...fields].join('; '), seconds(result.response.headers.get('retry-after')));
  }
  return result.data as T;
}

/**
 * An API refusal that keeps its field messages apart, so a form shows each one beside its input: `summary` is the
 * API's message, `fields` its field messages by the input they belong to.
 */
export class FieldRefusal extends ApiError {
  readonly summary: string;
  readonly fields: Record<string, string[]>;
  constructor(error: ApiError, summary: string, fields: Record<string, string[]>) {
    super(error.status, error.message, error.retryAfter);
    this.summary = summary;
    this.fields = fields;
  }
}

/**
 * As `unwrap`, refusing with a FieldRefusal; `inputOf` names the input of a field path (the path itself unless given).
 * An outage (5xx) stays an ApiError: it is no refusal of what was written.
 */
export function unwrapWithFields<T>(result: Answer<T>, inputOf: (field: string) => string = (field) => field): T {
  try {
    return unwrap(result);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status >= 500) throw err;
    const body = result.error as Partial<ApiErrorBody> | undefined;
    const fields: Record<string, string[]> = {};
    const given = body?.error?.fields ?? [];
    for (const f of given) (fields[inputOf(f.field)] ??= []).push(fieldMessage(f, i18n.language));
    throw new FieldRefusal(err, fieldsSummary(given, i18n.language) ?? body?.error?.message ?? err.message, fields);
  }
}
