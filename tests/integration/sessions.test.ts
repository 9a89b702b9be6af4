// Console sign-in on the real stack: an emailed one-time link or an API token opens a server-side session in an
// HttpOnly cookie; writes need the CSRF header; signing out, disabling, new roles and a new token end it; the attempts
// are rate limited and audited.
import { once } from 'node:events';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createApp } from '../../api/app.ts';
import { DEFAULT_RATE_LIMITS } from '../../api/rate-limits.ts';
import { createLogger } from '../../runtime/logger.ts';
import { createMailer } from '../../runtime/mailer.ts';
import { serving } from '../support/http.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';

let stack: Stack;

beforeAll(async () => {
  // Every test here calls from 127.0.0.1: the sign-in limits are tested on their own app below.
  const plenty = { limit: 1000, windowMs: 60_000 };
  stack = await startStack({
    rateLimits: { ...DEFAULT_RATE_LIMITS, signInPerClient: plenty, signInLinkPerClient: plenty, signInLinkPerEmail: plenty },
  });
});

afterAll(async () => {
  await stack?.close();
});

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}
interface CallOptions {
  body?: unknown;
  cookie?: string;
  csrf?: string;
  token?: string;
  client?: string;
}

async function call(base: string, method: string, path: string, { body, cookie, csrf, token, client }: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (cookie) headers.cookie = `opsflow_session=${cookie}`;
  if (csrf) headers['x-csrf-token'] = csrf;
  if (token) headers.authorization = `Bearer ${token}`;
  if (client) headers['x-forwarded-for'] = client;
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}
const api = (method: string, path: string, opts?: CallOptions) => call(stack.baseUrl, method, path, opts);

const sql = <T = Record<string, any>>(text: string, params: unknown[] = []) =>
  stack.db.orm.em.getConnection().execute(text, params) as Promise<T[]>;

const mailsTo = (email: string) => stack.mail.messages().filter((m) => m.to.includes(email));

/** Asks for a link and answers the token of the newest mail to the operator. */
async function emailedToken(op: TestOperator): Promise<string> {
  const before = mailsTo(op.email).length;
  expect(await api('POST', '/auth/email-link', { body: { email: op.email } })).toMatchObject({ status: 202, body: { sent: true } });
  await stack.mail.waitFor(() => mailsTo(op.email).length > before);
  const text = mailsTo(op.email).at(-1)!.text;
  return /http:\/\/opsflow\.test\/sign-in\?token=(\S+)/.exec(text)![1]!;
}

/** Signs in and answers the cookie's value with the session. */
async function signIn(body: { linkToken: string } | { apiToken: string }): Promise<{ cookie: string; csrf: string; answer: Answer }> {
  const answer = await api('POST', '/auth/sessions', { body });
  expect(answer.status).toBe(201);
  const cookie = /^opsflow_session=([^;]+)/.exec(answer.headers.getSetCookie()[0] ?? '')![1]!;
  return { cookie, csrf: answer.body.csrfToken, answer };
}

test('an emailed link signs in once, in an HttpOnly SameSite cookie; a GET of the link does not use it; audited without the token', async () => {
  const op = await stack.operator(['reviewer'], 'Linda');
  const token = await emailedToken(op);
  const mail = mailsTo(op.email).at(-1)!;
  expect(mail.from).toContain('opsflow@test.local');
  expect(mail.html).toContain(`href="http://opsflow.test/sign-in?token=${token}"`);
  // Only the hash is stored, valid 15 minutes.
  const [link] = await sql(
    'select token_hash, extract(epoch from expires_at - created_at)::int as seconds from sign_in_links where operator_id = ?',
    [op.id],
  );
  expect(link).toMatchObject({ seconds: 900 });
  expect(link!.token_hash).not.toContain(token);

  // A mail scanner fetching the link consumes nothing (the console page POSTs the token).
  await fetch(`${stack.baseUrl}/sign-in?token=${token}`);

  const { answer } = await signIn({ linkToken: token });
  expect(answer.body).toEqual({
    operator: { id: op.id, name: 'Linda', email: op.email, roles: ['reviewer'] },
    csrfToken: expect.any(String),
    expiresAt: expect.any(String),
  });
  const hours = (Date.parse(answer.body.expiresAt) - Date.now()) / 3600_000;
  expect(hours).toBeGreaterThan(11.9);
  expect(hours).toBeLessThanOrEqual(12);
  const [setCookie] = answer.headers.getSetCookie();
  expect(setCookie).toMatch(/^opsflow_session=[\w-]{40,};/);
  const attributes = setCookie!
    .split(';')
    .slice(1)
    .map((a) => a.trim().toLowerCase())
    .sort();
  expect(attributes).toEqual(['httponly', 'max-age=43200', 'path=/', 'samesite=lax']); // no Secure over http

  const again = await api('POST', '/auth/sessions', { body: { linkToken: token } });
  expect(again).toMatchObject({ status: 401, body: { error: { code: 'unauthorized', message: expect.stringContaining('already used') } } });

  // Two tabs racing with one link: one session.
  const racing = await emailedToken(op);
  const raced = await Promise.all([1, 2, 3].map(() => api('POST', '/auth/sessions', { body: { linkToken: racing } })));
  expect(raced.map((r) => r.status).sort()).toEqual([201, 401, 401]);

  const events = await sql<{ action: string; actor_id: string | null; entity_type: string; details: unknown }>(
    `select action, actor_id, entity_type, details from audit_events where action like 'auth.%' and (entity_id = ? or actor_id = ?) order by id`,
    [op.id, op.id],
  );
  expect(events.map((e) => e.action)).toEqual(['auth.link_sent', 'auth.signed_in', 'auth.link_sent', 'auth.signed_in']);
  expect(events[1]).toMatchObject({ actor_id: op.id, entity_type: 'session', details: { method: 'link' } });
  expect(JSON.stringify(events)).not.toContain(token);
});

test("an expired link, a replaced link and a disabled operator's link are refused with the reason", async () => {
  const op = await stack.operator(['analyst']);
  const expired = await emailedToken(op);
  // 15 minutes later (the row's expiry moved into the past).
  await sql(`update sign_in_links set expires_at = now() - interval '1 second' where operator_id = ?`, [op.id]);
  expect(await api('POST', '/auth/sessions', { body: { linkToken: expired } })).toMatchObject({
    status: 401,
    body: { error: { message: expect.stringContaining('expired') } },
  });

  const older = await emailedToken(op);
  const newer = await emailedToken(op);
  expect(await api('POST', '/auth/sessions', { body: { linkToken: older } })).toMatchObject({
    status: 401,
    body: { error: { message: expect.stringContaining('newer link replaces') } },
  });
  expect(await api('POST', '/auth/sessions', { body: { linkToken: `opl_${'x'.repeat(43)}` } })).toMatchObject({ status: 401 });

  await sql('update operators set disabled = true where id = ?', [op.id]);
  expect(await api('POST', '/auth/sessions', { body: { linkToken: newer } })).toMatchObject({
    status: 401,
    body: { error: { message: expect.stringContaining('disabled') } },
  });
});

test('an unknown or disabled address gets the same answer as a known one, and no mail', async () => {
  const known = await stack.operator(['reviewer']);
  const disabled = await stack.operator(['reviewer']);
  await sql('update operators set disabled = true where id = ?', [disabled.id]);
  const answers: Answer[] = [];
  for (const email of ['nobody-here@example.com', disabled.email, known.email])
    answers.push(await api('POST', '/auth/email-link', { body: { email } }));
  const shape = (a: Answer) => ({
    status: a.status,
    body: a.body,
    headers: [...a.headers.keys()].filter((h) => !['date', 'ratelimit', 'etag'].includes(h)).sort(),
  });
  expect(answers.map(shape)).toEqual(answers.map(() => shape(answers[2]!)));
  await stack.mail.waitFor((m) => m.to.includes(known.email));
  await new Promise((r) => setTimeout(r, 500));
  expect(mailsTo('nobody-here@example.com')).toHaveLength(0);
  expect(mailsTo(disabled.email)).toHaveLength(0);
  expect(await api('POST', '/auth/email-link', { body: { email: 'not an address' } })).toMatchObject({ status: 400 });
});

test('the answer does not wait for the mail server', async () => {
  // An SMTP server that accepts connections and never greets: a send would hang until the mailer's timeout.
  const sockets: net.Socket[] = [];
  const stalled = net.createServer((s) => {
    sockets.push(s);
  });
  stalled.listen(0, '127.0.0.1');
  await once(stalled, 'listening');
  const mailer = createMailer(`smtp://127.0.0.1:${(stalled.address() as net.AddressInfo).port}`);
  const op = await stack.operator(['reviewer']);
  const app = createApp({
    orm: stack.db.orm,
    temporal: stack.env.client,
    taskQueue: stack.taskQueue,
    log: createLogger('silent'),
    publicUrl: 'http://opsflow.test',
    temporalDeadlineMs: 10_000,
    mailer,
  });
  try {
    await serving(app, async (base) => {
      expect(await call(base, 'POST', '/auth/email-link', { body: { email: op.email } })).toMatchObject({ status: 202 });
      // The send started and is still waiting for the server's greeting: the answer came first.
      while (sockets.length === 0) await new Promise((r) => setTimeout(r, 20));
      expect(sockets[0]!.destroyed).toBe(false);
    });
  } finally {
    mailer.close();
    sockets.forEach((s) => s.destroy());
    stalled.close();
  }
});

test("behind https the cookie is Secure; neither the link's token nor the cookie reaches the logs", async () => {
  const op = await stack.operator(['reviewer']);
  const lines: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const mailer = createMailer(stack.mail.smtpUrl);
  const app = createApp({
    orm: stack.db.orm,
    temporal: stack.env.client,
    taskQueue: stack.taskQueue,
    log,
    publicUrl: 'https://ops.example.com',
    temporalDeadlineMs: 10_000,
    mailer,
  });
  try {
    await serving(app, async (base) => {
      expect(await call(base, 'POST', '/auth/email-link', { body: { email: op.email } })).toMatchObject({ status: 202 });
      const mail = await stack.mail.waitFor((m) => m.to.includes(op.email) && m.text.includes('https://ops.example.com/sign-in?token='));
      const token = /token=(\S+)/.exec(mail.text)![1]!;
      await fetch(`${base}/sign-in?token=${token}`); // as a mail scanner would
      const signedIn = await call(base, 'POST', '/auth/sessions', { body: { linkToken: token } });
      expect(signedIn.status).toBe(201);
      const [setCookie] = signedIn.headers.getSetCookie();
      expect(setCookie).toMatch(/; Secure/);
      const cookie = /^opsflow_session=([^;]+)/.exec(setCookie!)![1]!;
      expect(await call(base, 'GET', '/auth/session', { cookie })).toMatchObject({ status: 200 });
      expect(lines.length).toBeGreaterThan(2);
      const logged = lines.join('\n');
      expect(logged).not.toContain(token);
      expect(logged).not.toContain(cookie);
      expect(logged).not.toContain(signedIn.body.csrfToken);
    });
  } finally {
    mailer.close();
  }
});

test('an API token signs in; the cookie authenticates GETs, and writes only with the CSRF header', async () => {
  const admin = await stack.operator(['admin']);
  expect(await api('POST', '/auth/sessions', { body: { apiToken: 'opf_not_a_token' } })).toMatchObject({
    status: 401,
    body: { error: { message: 'the API token is not valid' } },
  });
  expect(await api('POST', '/auth/sessions', { body: {} })).toMatchObject({ status: 400 });
  const { cookie, csrf, answer } = await signIn({ apiToken: admin.token });
  expect(answer.body.operator).toMatchObject({ id: admin.id, roles: ['admin'] });

  expect(await api('GET', '/auth/session', { cookie })).toMatchObject({
    status: 200,
    body: { operator: { id: admin.id }, csrfToken: csrf },
  });
  expect(await api('GET', '/operators/me', { cookie })).toMatchObject({ status: 200, body: { id: admin.id } });
  // Last seen: written when the session is used (at most once a minute).
  await sql(`update sessions set last_seen_at = now() - interval '2 minutes' where operator_id = ?`, [admin.id]);
  expect(await api('GET', '/auth/session', { cookie })).toMatchObject({ status: 200 });
  const [seen] = await sql<{ ago: number }>(
    'select extract(epoch from now() - last_seen_at)::float8 as ago from sessions where operator_id = ?',
    [admin.id],
  );
  expect(seen!.ago).toBeLessThan(60);

  const newcomer = { name: 'Csrf Test', email: `csrf-${Date.now()}@example.com`, roles: ['analyst'] };
  const refused = await api('POST', '/operators', { cookie, body: newcomer });
  expect(refused).toMatchObject({ status: 403, body: { error: { message: expect.stringContaining('X-CSRF-Token') } } });
  expect(await api('POST', '/operators', { cookie, csrf: `${csrf}x`, body: newcomer })).toMatchObject({ status: 403 });
  expect(await api('POST', '/operators', { cookie, csrf, body: newcomer })).toMatchObject({ status: 201, body: { email: newcomer.email } });
  // A bearer request needs no CSRF header (browsers never add it), and the bearer token wins over a cookie.
  expect(await api('GET', '/operators/me', { token: stack.admin.token, cookie })).toMatchObject({
    status: 200,
    body: { id: stack.admin.id },
  });

  const [event] = await sql(`select details from audit_events where action = 'auth.signed_in' and actor_id = ?`, [admin.id]);
  expect(event).toMatchObject({ details: { method: 'token' } });
});

test('signing out ends the session and clears the cookie; audited', async () => {
  const op = await stack.operator(['analyst']);
  const { cookie, csrf, answer } = await signIn({ apiToken: op.token });
  expect(await api('DELETE', '/auth/session', { cookie })).toMatchObject({ status: 403 });
  const out = await api('DELETE', '/auth/session', { cookie, csrf });
  expect(out.status).toBe(204);
  expect(out.headers.getSetCookie()[0]).toMatch(/^opsflow_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax$/i);
  const after = await api('GET', '/auth/session', { cookie });
  expect(after).toMatchObject({ status: 401, body: { error: { message: expect.stringContaining('session has ended') } } });
  expect(after.headers.getSetCookie()[0]).toMatch(/Max-Age=0/);
  expect(await api('GET', '/operators/me', { cookie })).toMatchObject({ status: 401 });
  expect(await api('GET', '/auth/session')).toMatchObject({ status: 401 });
  const [revoked] = await sql('select revoked_at from sessions where operator_id = ?', [op.id]);
  expect(revoked!.revoked_at).not.toBeNull();
  const events = await sql<{ action: string; entity_id: string }>(
    `select action, entity_id from audit_events where actor_id = ? and action like 'auth.%' order by id`,
    [op.id],
  );
  expect(events.map((e) => e.action)).toEqual(['auth.signed_in', 'auth.signed_out']);
  expect(events[1]!.entity_id).toBe(events[0]!.entity_id);
  expect(answer.body.operator.id).toBe(op.id);
});

test("roles are read afresh on each request; new roles, disabling and a new token end the operator's sessions", async () => {
  const op = await stack.operator(['reviewer']);
  let { cookie } = await signIn({ apiToken: op.token });
  expect(await api('GET', '/operators', { cookie })).toMatchObject({ status: 403 });
  await sql(`update operators set roles = '{reviewer,analyst}' where id = ?`, [op.id]);
  expect(await api('GET', '/operators', { cookie })).toMatchObject({ status: 200 });
  expect(await api('GET', '/auth/session', { cookie })).toMatchObject({ body: { operator: { roles: ['reviewer', 'analyst'] } } });

  // Through the API, a change of roles ends the session at once (a repeat of the same roles does not).
  expect(await api('PATCH', `/operators/${op.id}`, { token: stack.admin.token, body: { roles: ['analyst', 'reviewer'] } })).toMatchObject({
    status: 200,
  });
  expect(await api('GET', '/auth/session', { cookie })).toMatchObject({ status: 200 });
  expect(await api('PATCH', `/operators/${op.id}`, { token: stack.admin.token, body: { roles: ['analyst'] } })).toMatchObject({
    status: 200,
  });
  expect(await api('GET', '/auth/session', { cookie })).toMatchObject({ status: 401 });

  ({ cookie } = await signIn({ apiToken: op.token }));
  expect(await api('POST', `/operators/${op.id}/token`, { token: stack.admin.token })).toMatchObject({ status: 201 });
  expect(await api('GET', '/operators/me', { cookie })).toMatchObject({ status: 401 });

  const fresh = await stack.operator(['reviewer']);
  ({ cookie } = await signIn({ apiToken: fresh.token }));
  const link = await emailedToken(fresh);
  expect(await api('PATCH', `/operators/${fresh.id}`, { token: stack.admin.token, body: { disabled: true } })).toMatchObject({
    status: 200,
  });
  expect(await api('GET', '/auth/session', { cookie })).toMatchObject({ status: 401 });
  expect(await api('POST', '/auth/sessions', { body: { apiToken: fresh.token } })).toMatchObject({ status: 401 });
  expect(await api('POST', '/auth/sessions', { body: { linkToken: link } })).toMatchObject({ status: 401 });
  const [audit] = await sql(`select details from audit_events where action = 'operator.updated' and entity_id = ?`, [fresh.id]);
  expect(audit).toMatchObject({ details: { disabled: true, sessionsRevoked: 1 } });
});

test('sign-ins are limited per client, sign-in links per client and per email address (429 with the headers)', async () => {
  const op = await stack.operator(['reviewer']);
  const minute = 60_000;
  const mailer = createMailer(stack.mail.smtpUrl);
  const app = createApp({
    orm: stack.db.orm,
    temporal: stack.env.client,
    taskQueue: stack.taskQueue,
    log: createLogger('silent'),
    publicUrl: 'http://opsflow.test',
    temporalDeadlineMs: 10_000,
    mailer,
    trustProxy: true,
    rateLimits: {
      badTokens: { limit: 30, windowMs: minute },
      signPerClient: { limit: 30, windowMs: minute },
      signPerContract: { limit: 30, windowMs: minute },
      unsubscribePerClient: { limit: 30, windowMs: minute },
      unsubscribePerLink: { limit: 30, windowMs: minute },
      signInPerClient: { limit: 3, windowMs: minute },
      signInLinkPerClient: { limit: 3, windowMs: minute },
      signInLinkPerEmail: { limit: 2, windowMs: minute },
    },
  });
  try {
    await serving(app, async (base) => {
      const post = (path: string, client: string, body: unknown) => call(base, 'POST', path, { client, body });
      for (const guess of ['a', 'b', 'c']) expect((await post('/auth/sessions', '203.0.113.7', { linkToken: guess })).status).toBe(401);
      const limited = await post('/auth/sessions', '203.0.113.7', { apiToken: op.token });
      expect(limited).toMatchObject({
        status: 429,
        body: { error: { code: 'rate_limited', message: expect.stringContaining('refused sign-ins') } },
      });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('ratelimit-policy')).toMatch(/"sign-in-client";q=3/);
      expect((await post('/auth/sessions', '203.0.113.8', { apiToken: op.token })).status).toBe(201);

      const target = 'someone-else@example.com';
      expect((await post('/auth/email-link', '198.51.100.1', { email: target })).status).toBe(202);
      expect((await post('/auth/email-link', '198.51.100.2', { email: target.toUpperCase() })).status).toBe(202);
      const perEmail = await post('/auth/email-link', '198.51.100.3', { email: target });
      expect(perEmail).toMatchObject({ status: 429, body: { error: { message: expect.stringContaining('for this email address') } } });
      expect(perEmail.headers.get('retry-after')).toBeTruthy();
      expect((await post('/auth/email-link', '198.51.100.3', { email: 'another@example.com' })).status).toBe(202);

      for (const n of [1, 2, 3]) expect((await post('/auth/email-link', '198.51.100.9', { email: `x${n}@example.com` })).status).toBe(202);
      expect(await post('/auth/email-link', '198.51.100.9', { email: 'x4@example.com' })).toMatchObject({
        status: 429,
        body: { error: { message: expect.stringContaining('from this address') } },
      });
    });
  } finally {
    mailer.close();
  }
});
