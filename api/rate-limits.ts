// Abuse limits on the guesses an anonymous caller can make: bearer tokens, signing tokens and unsubscribe links.
// Only failures count, so a client using valid credentials is never slowed; over the limit it gets 429 with the
// IETF RateLimit headers and Retry-After. Counts are kept per API process (behind N processes a limit is N times it).
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { ipKeyGenerator, rateLimit, type Options } from 'express-rate-limit';
import { HttpError } from './errors.ts';

export interface RateLimit {
  /** Failures allowed in the window. */
  limit: number;
  windowMs: number;
}

export interface RateLimits {
  /** Requests with a bearer token that is not valid, per client address. */
  badTokens: RateLimit;
  /** Refused signatures (a wrong, used or expired signing token), per client address. */
  signPerClient: RateLimit;
  /** Refused signatures of one contract, from all clients together. */
  signPerContract: RateLimit;
  /** Unsubscribe links that are not recognised, per client address. */
  unsubscribePerClient: RateLimit;
  /** Requests to one unsubscribe link (valid or not), from all clients together. */
  unsubscribePerLink: RateLimit;
}

const MINUTE = 60_000;
export const DEFAULT_RATE_LIMITS: RateLimits = {
  badTokens: { limit: 30, windowMs: 10 * MINUTE },
  signPerClient: { limit: 10, windowMs: 15 * MINUTE },
  signPerContract: { limit: 50, windowMs: 60 * MINUTE },
  unsubscribePerClient: { limit: 30, windowMs: 10 * MINUTE },
  unsubscribePerLink: { limit: 30, windowMs: 60 * MINUTE },
};

const client = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');

function limiter(what: string, { limit, windowMs }: RateLimit, options: Partial<Options>): RequestHandler {
  return rateLimit({
    limit, windowMs, standardHeaders: 'draft-8', legacyHeaders: false, identifier: what,
    keyGenerator: client,
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000));
      next(new HttpError(429, 'rate_limited', `too many ${what}; try again in ${seconds} s`, undefined, seconds));
    },
    ...options,
  });
}

export interface RateLimitChecks {
  /** Whether a partner's signing token is the contract's current one: a valid token is never counted nor refused. */
  validSignToken(contractId: string, token: string): Promise<boolean>;
}

/** Mounts the limits on the app, ahead of authentication and the routers. */
export function installRateLimits(app: Express, checks: RateLimitChecks, limits: RateLimits = DEFAULT_RATE_LIMITS): void {
  const failuresOnly = { skipSuccessfulRequests: true };
  // Only requests carrying a token count, and only when the token was refused (authenticate marks it).
  app.use(limiter('requests with a bad bearer token', limits.badTokens, {
    ...failuresOnly,
    skip: (req) => !req.get('authorization'),
    requestWasSuccessful: (_req: Request, res: Response) => res.locals.tokenRefused !== true,
  }));
  // A refusal is the client's 4xx (a wrong, used or expired token, an unknown id); an outage's 5xx is not theirs.
  const notRefused = (_req: Request, res: Response) => res.statusCode < 400 || res.statusCode >= 500;
  // A flood of forged tokens must not lock the real partner out: the current token passes whatever the counts say.
  // (The body is tiny; the internal signer's path, with a bearer token and no body token, has the bad-token limit.)
  const partnerWithValidToken = async (req: Request) => {
    const token = (req.body as { token?: unknown } | undefined)?.token;
    return typeof token !== 'string' || checks.validSignToken(String(req.params.id), token);
  };
  app.post('/contracts/:id/sign', express.json({ limit: '16kb' }),
    limiter('refused signatures from this address', limits.signPerClient, { ...failuresOnly, requestWasSuccessful: notRefused, skip: partnerWithValidToken }),
    limiter('refused signatures of this contract', limits.signPerContract, {
      ...failuresOnly, requestWasSuccessful: notRefused, skip: partnerWithValidToken, keyGenerator: (req) => `contract:${String(req.params.id)}`,
    }));
  app.use('/unsubscribe/:token',
    limiter('unrecognised unsubscribe links from this address', limits.unsubscribePerClient, { ...failuresOnly, requestWasSuccessful: notRefused }),
    limiter('requests to this unsubscribe link', limits.unsubscribePerLink, { keyGenerator: (req) => `link:${String(req.params.token)}` }));
}
