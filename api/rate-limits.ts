// Abuse limits on the guesses an anonymous caller can make: bearer tokens, signing tokens, unsubscribe links and
// console sign-ins, and on the sign-in emails one can cause.
// Only failures count, so a client using valid credentials is never slowed; over the limit it gets 429 with the
// IETF RateLimit headers and Retry-After. Counts are kept per API process (behind N processes a limit is N times it).
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type Options } from 'express-rate-limit';
import { HttpError } from './errors.ts';

export interface RateLimit {
  /** Failures allowed in the window. */
  limit: number;
  windowMs: number;
}

/** The sign-in limits may be left out: they then take their defaults (DEFAULT_RATE_LIMITS). */
export interface RateLimits {
  /** Requests with a bearer token that is not valid, per client address. */
  badTokens: RateLimit;
  /** Refused signatures or reads of the terms to sign (a wrong, used or expired signing token), per client address. */
  signPerClient: RateLimit;
  /** Refused signatures or reads of the terms to sign of one contract, from all clients together. */
  signPerContract: RateLimit;
  /** Unsubscribe links that are not recognised, per client address. */
  unsubscribePerClient: RateLimit;
  /** Requests to one unsubscribe link (valid or not), from all clients together. */
  unsubscribePerLink: RateLimit;
  /** Refused console sign-ins (a bad, used or expired sign-in link or API token), per client address. */
  signInPerClient?: RateLimit;
  /** Sign-in link requests, per client address (each is answered alike, so every request counts). */
  signInLinkPerClient?: RateLimit;
  /** Sign-in link requests for one email address, from all clients together (known or not: no answer tells). */
  signInLinkPerEmail?: RateLimit;
}

const MINUTE = 60_000;
export const DEFAULT_RATE_LIMITS: Required<RateLimits> = {
  badTokens: { limit: 30, windowMs: 10 * MINUTE },
  signPerClient: { limit: 10, windowMs: 15 * MINUTE },
  signPerContract: { limit: 50, windowMs: 60 * MINUTE },
  unsubscribePerClient: { limit: 30, windowMs: 10 * MINUTE },
  unsubscribePerLink: { limit: 30, windowMs: 60 * MINUTE },
  signInPerClient: { limit: 10, windowMs: 15 * MINUTE },
  signInLinkPerClient: { limit: 10, windowMs: 15 * MINUTE },
  signInLinkPerEmail: { limit: 5, windowMs: 60 * MINUTE },
};

const client = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');
const secondsUntil = (at: Date | undefined, windowMs: number) =>
  Math.max(1, Math.ceil(((at?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000));
const tooMany = (what: string, seconds: number) =>
  new HttpError(429, 'rate_limited', `too many ${what}; try again in ${seconds} s`, undefined, seconds);

/** Counts every request (express-rate-limit as it comes). */
function requestLimit(
  what: string,
  policy: string,
  { limit, windowMs }: RateLimit,
  keyGenerator: (req: Request) => string,
  skip?: (req: Request) => boolean,
): RequestHandler {
  return rateLimit({
    limit,
    windowMs,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: policy,
    keyGenerator,
    ...(skip ? { skip } : {}),
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      next(tooMany(what, secondsUntil(reset, windowMs)));
    },
  });
}

/**
 * Counts refusals only, once they are known, and refuses a key already over the limit before any work. (A limiter
 * that counts each request on arrival and takes it back on success counts a client's concurrent valid requests too.)
 * The IETF RateLimit headers (draft 8) say where the key stands.
 */
function refusalLimit(
  what: string,
  policy: string,
  { limit, windowMs }: RateLimit,
  opts: {
    key: (req: Request) => string;
    refused: (req: Request, res: Response) => boolean;
    applies?: (req: Request) => boolean | Promise<boolean>;
  },
): RequestHandler {
  const store = new MemoryStore();
  store.init({ windowMs } as Options);
  return async (req, res, next) => {
    try {
      if (opts.applies && !(await opts.applies(req))) return next();
      const key = opts.key(req);
      const info = await store.get(key);
      const hits = info && info.resetTime && info.resetTime.getTime() > Date.now() ? info.totalHits : 0;
      const seconds = secondsUntil(hits ? info!.resetTime : undefined, windowMs);
      res.set('RateLimit-Policy', `"${policy}";q=${limit};w=${Math.round(windowMs / 1000)}`);
      res.set('RateLimit', `"${policy}";r=${Math.max(0, limit - hits)};t=${seconds}`);
      if (hits >= limit) return next(tooMany(what, seconds));
      res.once('finish', () => {
        if (opts.refused(req, res)) void store.increment(key);
      });
      next();
    } catch (err) {
      next(err);
    }
  };
}

export interface RateLimitChecks {
  /** Whether a partner's signing token is the contract's current one: a valid token is never counted nor refused. */
  validSignToken(contractId: string, token: string): Promise<boolean>;
}

/** Mounts the limits on the app, ahead of authentication and the routers. */
export function installRateLimits(app: Express, checks: RateLimitChecks, chosen: RateLimits = DEFAULT_RATE_LIMITS): void {
  const limits = { ...DEFAULT_RATE_LIMITS, ...chosen };
  // Requests carrying a token, counted when authentication refused it; over the limit, every request with a token
  // from the client is refused (a correct guess must not pass where wrong ones are stopped); /health answers whatever
  // token a probe sends.
  app.use(
    refusalLimit('requests with a bad bearer token', 'bad-token', limits.badTokens, {
      key: client,
      applies: (req) => Boolean(req.get('authorization')) && req.path !== '/health',
      refused: (_req, res) => res.locals.tokenRefused === true,
    }),
  );
  // A refusal is the client's 4xx (a wrong, used or expired token, an unknown id); an outage's 5xx is not theirs.
  const refused = (_req: Request, res: Response) => res.statusCode >= 400 && res.statusCode < 500;
  // A flood of forged tokens must not lock the real partner out: the current token passes whatever the counts say.
  // (The body is tiny; the internal signer's path, with a bearer token and no body token, has the bad-token limit.)
  // Both limits ask; the token is looked up once per request.
  const asked = new WeakMap<Request, Promise<boolean>>();
  const forgedOrUnknown = (req: Request) => {
    // The signing page reads the terms with the token in its query, and signs with it in the body.
    const token = req.method === 'GET' ? req.query.token : (req.body as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string') return false;
    let answer = asked.get(req);
    if (!answer) {
      answer = checks.validSignToken(String(req.params.id), token).then((valid) => !valid);
      asked.set(req, answer);
    }
    return answer;
  };
  // Reading the terms and signing share the counts: a guess costs the same whichever route it tries.
  const signLimits = [
    refusalLimit('refused signing links from this address', 'sign-client', limits.signPerClient, {
      key: client,
      refused,
      applies: forgedOrUnknown,
    }),
    refusalLimit('refused signing links of this contract', 'sign-contract', limits.signPerContract, {
      key: (req) => `contract:${String(req.params.id)}`,
      refused,
      applies: forgedOrUnknown,
    }),
  ];
  app.post('/contracts/:id/sign', express.json({ limit: '16kb' }), ...signLimits);
  app.get('/contracts/:id/sign', ...signLimits);
  app.use(
    '/unsubscribe/:token',
    refusalLimit('unrecognised unsubscribe links from this address', 'unsubscribe-client', limits.unsubscribePerClient, {
      key: client,
      refused,
    }),
    requestLimit(
      'requests to this unsubscribe link',
      'unsubscribe-link',
      limits.unsubscribePerLink,
      (req) => `link:${String(req.params.token)}`,
    ),
  );
  // Console sign-in: a refused link or API token counts against the client, which is then refused whatever it sends.
  // (A session holds no email to count against: the link and the token each carry 256 random bits.)
  app.post(
    '/auth/sessions',
    refusalLimit('refused sign-ins from this address', 'sign-in-client', limits.signInPerClient, { key: client, refused }),
  );
  // Sign-in links: every request counts (each gets the same answer), per client and per address, which also keeps
  // anyone from filling an operator's mailbox. The body is tiny; the route reads it again only if this did not.
  const emailOf = (req: Request) => {
    const email = (req.body as { email?: unknown } | undefined)?.email;
    return typeof email === 'string' ? email.trim().toLowerCase() : undefined;
  };
  app.post(
    '/auth/email-link',
    express.json({ limit: '16kb' }),
    requestLimit('sign-in link requests from this address', 'sign-in-link-client', limits.signInLinkPerClient, client),
    requestLimit(
      'sign-in link requests for this email address',
      'sign-in-link-email',
      limits.signInLinkPerEmail,
      (req) => `email:${emailOf(req)}`,
      (req) => emailOf(req) === undefined,
    ),
  );
}
