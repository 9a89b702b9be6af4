// Abuse limits and small leaks: guesses of bearer, signing and unsubscribe tokens are limited per client (and per
// contract or link) with 429 and the standard headers; tokens in URLs never reach the logs; HTML cannot be framed.
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createApp } from '../../api/app.ts';
import type { RateLimits } from '../../api/rate-limits.ts';
import { serving } from '../support/http.ts';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

const minute = 60_000;
const small: RateLimits = {
  badTokens: { limit: 3, windowMs: minute },
  signPerClient: { limit: 3, windowMs: minute },
  signPerContract: { limit: 5, windowMs: minute },
  unsubscribePerClient: { limit: 3, windowMs: minute },
  unsubscribePerLink: { limit: 4, windowMs: minute },
};

/** The API with small limits, clients told apart by X-Forwarded-For (a trusted proxy), and its log lines kept. */
async function withApi(
  run: (
    call: (method: string, path: string, init?: { token?: string; client?: string; body?: unknown }) => Promise<Response>,
    lines: string[],
  ) => Promise<void>,
) {
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
  const app = createApp({
    orm: stack.db.orm,
    temporal: stack.env.client,
    taskQueue: stack.taskQueue,
    log,
    publicUrl: 'http://opsflow.test',
    temporalDeadlineMs: 10_000,
    rateLimits: small,
    trustProxy: true,
  });
  await serving(app, (base) =>
    run(
      (method, path, { token, client = '203.0.113.1', body } = {}) =>
        fetch(`${base}${path}`, {
          method,
          headers: {
            'x-forwarded-for': client,
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        }),
      lines,
    ),
  );
}

test('bad bearer tokens: the client is refused with 429 and RateLimit headers past the limit; another client is not', async () => {
  await withApi(async (call) => {
    // Valid calls at once, more than the limit: none counts.
    const burst = await Promise.all(
      Array.from({ length: 4 * small.badTokens.limit }, () => call('GET', '/tasks', { token: stack.admin.token })),
    );
    expect(burst.map((r) => r.status)).toEqual(burst.map(() => 200));
    for (let i = 0; i < small.badTokens.limit; i++) expect((await call('GET', '/tasks', { token: `opf_guess_${i}` })).status).toBe(401);
    // Valid tokens are not counted, but a client over the limit is refused whatever it sends.
    expect((await call('GET', '/tasks', { token: stack.admin.token, client: '203.0.113.2' })).status).toBe(200);
    const limited = await call('GET', '/tasks', { token: 'opf_guess_more' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit')).toMatch(/r=0/);
    expect(limited.headers.get('ratelimit-policy')).toMatch(/q=3/);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited', message: expect.stringContaining('bad bearer token') } });
    expect((await call('GET', '/tasks', { token: stack.admin.token })).status).toBe(429);
    expect((await call('GET', '/tasks', { token: stack.admin.token, client: '203.0.113.2' })).status).toBe(200);
    // No token at all is not a guess: public routes keep answering; /health whatever token it gets.
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/health', { token: 'opf_probe' })).status).toBe(200);
  });
});

test('signing tokens: refusals are limited per client and per contract', async () => {
  await withApi(async (call) => {
    const contract = randomUUID();
    const forge = (client: string, id = contract) =>
      call('POST', `/contracts/${id}/sign`, { client, body: { token: randomBytes(32).toString('hex') } });
    for (let i = 0; i < small.signPerClient.limit; i++) expect((await forge('198.51.100.1')).status).toBe(404);
    expect((await forge('198.51.100.1', randomUUID())).status).toBe(429); // the client, on any contract
    // Other clients together reach the contract's own limit (5 refusals), then everyone is refused on it.
    expect((await forge('198.51.100.2')).status).toBe(404);
    expect((await forge('198.51.100.3')).status).toBe(404);
    const limited = await forge('198.51.100.4');
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { message: expect.stringContaining('this contract') } });
    expect((await forge('198.51.100.4', randomUUID())).status).toBe(404);
  });
});

test('unsubscribe links: unknown ones limited per client, one link per link; the token never reaches the logs; the page cannot be framed', async () => {
  const ingest = await stack.operator(['ingest']);
  const created = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: { externalId: `u-${randomUUID()}`, email: 'u@example.com', marketingConsent: true },
  });
  expect(created.status).toBe(200);
  const [row] = await stack.db.orm.em
    .getConnection()
    .execute<{ token: string }[]>('select unsubscribe_token as token from customers where id = ?', [created.body.items[0].id]);
  await withApi(async (call, lines) => {
    const page = await call('GET', `/unsubscribe/${row!.token}`, { client: '192.0.2.9' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    for (let i = 1; i < small.unsubscribePerLink.limit; i++)
      expect((await call('GET', `/unsubscribe/${row!.token}`, { client: `192.0.2.${10 + i}` })).status).toBe(200);
    expect((await call('GET', `/unsubscribe/${row!.token}`, { client: '192.0.2.50' })).status).toBe(429);

    const unknown = () => call('GET', `/unsubscribe/${randomBytes(32).toString('hex')}`, { client: '192.0.2.60' });
    for (let i = 0; i < small.unsubscribePerClient.limit; i++) expect((await unknown()).status).toBe(404);
    expect((await unknown()).status).toBe(429);

    const logged = lines.join('');
    expect(logged).toContain('/unsubscribe/[redacted]');
    expect(logged).not.toContain(row!.token);
  });
});
