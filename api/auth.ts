import type { RequestHandler, Response } from 'express';
import { parseCookie, stringifySetCookie } from 'cookie';
import { timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { operatorByToken } from '../db/operators.ts';
import { liveSession, type LiveSession } from '../db/sessions.ts';
import type { Orm } from '../db/orm.ts';
import type { Actor, Role } from '../domain/actors.ts';
import { forbidden, toHttpError, unauthorized } from './errors.ts';
import { hashToken } from './tokens.ts';

/** The console's session cookie (HttpOnly: the console never reads it; it reads the CSRF token from the API). */
export const SESSION_COOKIE = 'opsflow_session';
export const CSRF_HEADER = 'X-CSRF-Token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CookieOptions {
  /** Send the cookie over HTTPS only (PUBLIC_URL is https). */
  secure: boolean;
}

export function setSessionCookie(res: Response, value: string, maxAgeMs: number, { secure }: CookieOptions): void {
  res.append(
    'Set-Cookie',
    stringifySetCookie({
      name: SESSION_COOKIE,
      value,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      maxAge: Math.floor(maxAgeMs / 1000),
      secure,
    }),
  );
}

export function clearSessionCookie(res: Response, { secure }: CookieOptions): void {
  res.append(
    'Set-Cookie',
    stringifySetCookie({
      name: SESSION_COOKIE,
      value: '',
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      maxAge: 0,
      secure,
    }),
  );
}

const sameText = (a: string, b: string) => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Resolves the caller to the operator in `res.locals.actor`: `Authorization: Bearer <token>`, or else the console's
 * session cookie (live session, active operator, roles as they are now). A missing, malformed, unknown or disabled
 * credential leaves no actor: public routes (health, docs, sign-in) still answer, every other route answers 401 with
 * the reason kept in `res.locals.authError`. A cookie-authenticated write without the session's CSRF token answers
 * 403. Bearer requests are exempt: browsers never attach that header on their own.
 */
export function authenticate(orm: Orm, cookies: CookieOptions = { secure: false }): RequestHandler {
  return async (req, res, next) => {
    // What the request reads from the API's caches reflects every change committed before this (db/change-cache.ts).
    res.locals.receivedAt = performance.now();
    const header = req.get('authorization');
    if (!header) return sessionCookie(orm, cookies, req.get('cookie'), req.method, req.get(CSRF_HEADER), res, next);
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      res.locals.tokenRefused = true;
      res.locals.authError = unauthorized('the Authorization header must be "Bearer <token>"');
      return next();
    }
    // A cache kept coherent with the table, else a prepared select: this runs on every request.
    let operator: { id: string; name: string; roles: Role[] } | undefined;
    try {
      operator = await operatorByToken(orm, hashToken(match[1]!), res.locals.receivedAt as number);
    } catch (err) {
      // The database is down: public routes (health) still answer; every other route answers 503, not 500.
      res.locals.authError = toHttpError(err) ?? err;
      return next();
    }
    if (!operator) {
      res.locals.tokenRefused = true;
      res.locals.authError = unauthorized('the token is not valid');
      return next();
    }
    const actor: Actor = { id: operator.id, name: operator.name, roles: operator.roles };
    res.locals.actor = actor;
    next();
  };
}

async function sessionCookie(
  orm: Orm,
  cookies: CookieOptions,
  cookieHeader: string | undefined,
  method: string,
  csrf: string | undefined,
  res: Response,
  next: () => void,
): Promise<void> {
  const value = cookieHeader ? parseCookie(cookieHeader)[SESSION_COOKIE] : undefined;
  if (!value) return next();
  let session: LiveSession | undefined;
  try {
    session = await liveSession(orm, hashToken(value));
  } catch (err) {
    res.locals.authError = toHttpError(err) ?? err;
    return next();
  }
  if (!session) {
    // Expired, signed out or revoked: the browser may forget it (the console cannot, the cookie being HttpOnly).
    clearSessionCookie(res, cookies);
    res.locals.authError = unauthorized('the session has ended (expired, signed out or revoked); sign in again');
    return next();
  }
  res.locals.session = session;
  if (!SAFE_METHODS.has(method) && !(csrf && sameText(csrf, session.csrfToken))) {
    res.locals.authError = forbidden(
      `a request authenticated by the session cookie must send the ${CSRF_HEADER} header with the session's csrfToken`,
    );
    return next();
  }
  const actor: Actor = { id: session.operator.id, name: session.operator.name, roles: session.operator.roles };
  res.locals.actor = actor;
  next();
}
