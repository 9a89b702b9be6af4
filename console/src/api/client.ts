// The typed API client: paths and shapes come from schema.d.ts, generated from the API's own OpenAPI document, so a
// renamed field or route fails the console's type-check. Same origin: the session cookie goes along by itself.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.d.ts';

export type Task = paths['/tasks']['get']['responses']['200']['content']['application/json']['items'][number];
export type Session = paths['/auth/session']['get']['responses']['200']['content']['application/json'];
export type Role = Session['operator']['roles'][number];
type ApiErrorBody = components['schemas']['Error'];

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

/** An API refusal with its status and the API's own message (shown to the operator as is). */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Unwraps an openapi-fetch answer: its data, or an ApiError with the API's message. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = result.error as Partial<ApiErrorBody> | undefined;
    const fields = body?.error?.fields?.map((f) => `${f.field}: ${f.message}`) ?? [];
    const message = body?.error?.message ?? `${result.response.status} ${result.response.statusText}`;
    throw new ApiError(result.response.status, [message, ...fields].join('; '));
  }
  return result.data as T;
}
