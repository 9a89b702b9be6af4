// Console sign-in: an emailed one-time link or an API token opens a server-side session held in an HttpOnly cookie.
import escapeHtml from 'escape-html';
import { Router, type Response } from 'express';
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { appendAudit } from '../../db/audit.ts';
import {
  activeOperatorByEmail,
  activeOperatorByTokenHash,
  createSession,
  revokeSession,
  storeSignInLink,
  useSignInLink,
  type LiveSession,
  type SessionOperator,
  type SignInLinkProblem,
} from '../../db/sessions.ts';
import { ROLES } from '../../domain/actors.ts';
import type { ApiDeps } from '../app.ts';
import { clearSessionCookie, setSessionCookie } from '../auth.ts';
import { HttpError, unauthorized } from '../errors.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { hashToken } from '../tokens.ts';

const DEFAULT_SESSION_TTL_MS = 12 * 3600_000;
const DEFAULT_SIGN_IN_LINK_TTL_MS = 15 * 60_000;

const sessionOut = z.object({
  operator: z.object({ id: z.uuid(), name: z.string(), email: z.string(), roles: z.array(z.enum(ROLES)) }),
  csrfToken: z.string().describe('Send it as the X-CSRF-Token header on every cookie-authenticated request but GET, HEAD and OPTIONS.'),
  expiresAt: z.string(),
});
type SessionOut = z.infer<typeof sessionOut>;
const toSessionOut = (operator: SessionOperator, csrfToken: string, expiresAt: Date): SessionOut => ({
  operator: { id: operator.id, name: operator.name, email: operator.email, roles: operator.roles },
  csrfToken,
  expiresAt: expiresAt.toISOString(),
});

const LINK_REFUSED: Record<SignInLinkProblem, string> = {
  used: 'this sign-in link was already used; ask for a new one',
  expired: 'this sign-in link has expired; ask for a new one',
  disabled: 'this operator is disabled',
  not_valid: 'this sign-in link is not valid (a newer link replaces older ones); ask for a new one',
};

const secret = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;
const minutes = (ms: number) => Math.round(ms / 60_000);

function signInMail(name: string, url: string, validMs: number) {
  const en = [
    `Hello ${name},`,
    `Open this link to sign in to the opsflow console. It works once, within ${minutes(validMs)} minutes:`,
    url,
    'If you did not ask to sign in, ignore this email: nothing happens without the link.',
  ];
  const zh = [
    `${name}，您好：`,
    `打开下面的链接登录 opsflow 控制台。链接只能使用一次，${minutes(validMs)} 分钟内有效：`,
    url,
    '如果您没有请求登录，请忽略此邮件：没有此链接，任何人都无法登录。',
  ];
  const paragraphs = [...en, '—', ...zh];
  return {
    subject: '[opsflow] Sign in / 登录',
    text: `${paragraphs.join('\n\n')}\n`,
    html: `<!doctype html><html><body>${paragraphs
      .map((p) => (p === url ? `<p><a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p>` : `<p>${escapeHtml(p)}</p>`))
      .join('\n')}</body></html>`,
  };
}

export function authRouter(deps: ApiDeps, registry: RouteRegistry): Router {
  const { orm, log, mailer, publicUrl, audit } = deps;
  const sessionTtlMs = deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const linkTtlMs = deps.signInLinkTtlMs ?? DEFAULT_SIGN_IN_LINK_TTL_MS;
  const cookies = { secure: new URL(publicUrl).protocol === 'https:' };
  const router = Router();
  const tag = 'auth';

  /** Issues and mails a link when the address is an active operator's; does nothing otherwise. */
  async function sendLink(email: string, next: string | undefined, ip: string | undefined): Promise<void> {
    const operator = await activeOperatorByEmail(orm, email);
    if (!operator || !mailer) return;
    const token = secret('opl');
    const expiresAt = await storeSignInLink(orm, operator.id, hashToken(token), linkTtlMs);
    const url = `${publicUrl.replace(/\/+$/, '')}/sign-in?token=${token}${next ? `&next=${encodeURIComponent(next)}` : ''}`;
    const sent = await mailer.sendMail({
      from: deps.mailFrom ?? 'opsflow <opsflow@localhost>',
      to: operator.email,
      ...signInMail(operator.name, url, linkTtlMs),
    });
    await appendAudit(orm, {
      actorType: 'system',
      actorId: null,
      action: 'auth.link_sent',
      entityType: 'operator',
      entityId: operator.id,
      details: { expiresAt: expiresAt.toISOString(), messageId: sent.messageId, ip: ip ?? null },
    });
  }

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/auth/email-link',
      tag,
      access: 'public',
      status: 202,
      summary: 'Email a one-time sign-in link (valid 15 minutes) to an active operator; the same answer for any address',
      body: z
        .object({
          email: z.email().max(320),
          next: z
            .string()
            .max(2000)
            .regex(/^\/console\/[^\s]*$/, 'must be a console path such as /console/incidents/<id>')
            .optional()
            .describe('the console page the link opens after signing in (the page that asked for a session)'),
        })
        .strict(),
      response: z.object({ sent: z.literal(true) }),
      bodyLimit: '16kb',
    },
    async ({ body, req }) => {
      if (!mailer)
        throw new HttpError(503, 'unavailable', 'sign-in links cannot be emailed: no mail server is configured (SMTP_URL)', undefined, 60);
      // Answered before the address is even looked up: a known, unknown or disabled address gets the same answer at
      // the same speed, whatever the database and the mail server take.
      setImmediate(() => {
        sendLink(body.email, body.next, req.ip).catch((err: unknown) => log.warn({ err }, 'a sign-in link could not be sent'));
      });
      return { sent: true };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/auth/sessions',
      tag,
      access: 'public',
      status: 201,
      summary: "Sign in to the console with an emailed link's token or an API token; sets the opsflow_session cookie",
      body: z.union([
        z.object({ linkToken: z.string().min(1).max(200).describe('The token of the emailed sign-in link') }).strict(),
        z.object({ apiToken: z.string().min(1).max(200).describe("An operator's API token") }).strict(),
      ]),
      response: sessionOut,
      errors: [401],
      bodyLimit: '16kb',
    },
    async ({ body, req, res }) => {
      let operator: SessionOperator;
      const method = 'linkToken' in body ? 'link' : 'token';
      if ('linkToken' in body) {
        const used = await useSignInLink(orm, hashToken(body.linkToken));
        if (typeof used === 'string') throw unauthorized(LINK_REFUSED[used]);
        operator = used;
      } else {
        const found = await activeOperatorByTokenHash(orm, hashToken(body.apiToken));
        if (!found) throw unauthorized('the API token is not valid');
        operator = found;
      }
      const cookie = secret('ops');
      const csrfToken = secret('csrf');
      const id = randomUUID();
      const expiresAt = await createSession(orm, {
        id,
        tokenHash: hashToken(cookie),
        operatorId: operator.id,
        csrfToken,
        method,
        ttlMs: sessionTtlMs,
      });
      setSessionCookie(res, cookie, sessionTtlMs, cookies);
      await audit(operator, 'auth.signed_in', 'session', id, { method, ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null });
      return toSessionOut(operator, csrfToken, expiresAt);
    },
  );

  const current = (res: Response): LiveSession => {
    const session = res.locals.session as LiveSession | undefined;
    if (res.locals.authError) throw res.locals.authError;
    if (!session) throw unauthorized('not signed in: no session cookie (sign in with POST /auth/sessions)');
    return session;
  };

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/auth/session',
      tag,
      access: 'public',
      response: sessionOut,
      errors: [401],
      summary: 'The session of the opsflow_session cookie: its operator (roles as they are now) and CSRF token',
    },
    async ({ res }) => {
      const session = current(res);
      return toSessionOut(session.operator, session.csrfToken, session.expiresAt);
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'delete',
      path: '/auth/session',
      tag,
      access: 'public',
      errors: [401, 403],
      summary: "Sign out: ends the cookie's session (send X-CSRF-Token) and clears the cookie",
    },
    async ({ res }) => {
      const session = current(res);
      await revokeSession(orm, session.id);
      clearSessionCookie(res, cookies);
      await audit(session.operator, 'auth.signed_out', 'session', session.id);
      return undefined;
    },
  );

  return router;
}
