// The API's caches of token operators and enabled channels stay coherent across processes: a change committed
// through one API (or straight in the database) is refused by another at once, through the NOTIFY the tables'
// triggers send and the catch-up a cached answer waits for; while the listener is gone nothing is answered from the
// cache, and what changed meanwhile is not.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createApp } from '../../api/app.ts';
import { changeCache, changesHeard, LISTENER_NAME } from '../../db/change-cache.ts';
import { openOrm, type Orm } from '../../db/orm.ts';
import { createLogger } from '../../runtime/logger.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
/** A second API process, as another instance behind the load balancer: its own ORM, pool and listener. */
let other: { orm: Orm; server: Server; base: string };

beforeAll(async () => {
  stack = await startStack();
  const orm = await openOrm({ clientUrl: stack.db.url, poolMax: 3 });
  const app = createApp({
    orm,
    temporal: stack.env.client,
    taskQueue: stack.taskQueue,
    log: createLogger('silent'),
    publicUrl: 'http://opsflow.test',
    temporalDeadlineMs: 10_000,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  other = { orm, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});

afterAll(async () => {
  if (other) {
    other.server.closeAllConnections();
    await new Promise<void>((resolve) => other.server.close(() => resolve()));
    await other.orm.close();
  }
  await stack?.close();
});

async function onOther(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${other.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

/** A statement on its own connection; `quiet` runs it with triggers off, so it notifies nobody (a change a cache misses). */
async function sql(text: string, values: unknown[] = [], quiet = false): Promise<any[]> {
  const client = new pg.Client({ connectionString: stack.db.url });
  await client.connect();
  try {
    if (quiet) await client.query('set session_replication_role = replica');
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Two calls: the second finds the first's answer kept even if a notification of an earlier change was still on its way. */
async function warm(token: string): Promise<void> {
  for (let i = 0; i < 2; i++) expect((await onOther('GET', '/operators/me', token)).status).toBe(200);
}

const bothHeard = () =>
  eventually(async () => (await changesHeard(other.orm)) && (await changesHeard(stack.db.orm)), 'both listeners to hear their pings');

test('a rotated token, a disabled operator and new roles, changed through one API, are refused by the other at once', async () => {
  await bothHeard();
  const op = await stack.operator(['reviewer']);
  await warm(op.token);
  // The other process answers from its cache: a change that notifies nobody is not seen there...
  await sql('update operators set disabled = true where id = $1', [op.id], true);
  expect((await onOther('GET', '/operators/me', op.token)).status).toBe(200);
  // ...and the same change committed normally is refused at once.
  await sql('update operators set disabled = true where id = $1', [op.id]);
  expect((await onOther('GET', '/operators/me', op.token)).status).toBe(401);
  await sql('update operators set disabled = false where id = $1', [op.id]);

  let token = op.token;
  for (let i = 0; i < 10; i++) {
    expect((await onOther('GET', '/operators/me', token)).status).toBe(200);
    const rotated = await stack.api('POST', `/operators/${op.id}/token`);
    expect(rotated.status).toBe(201);
    expect(await onOther('GET', '/operators/me', token)).toMatchObject({
      status: 401,
      body: { error: { message: 'the token is not valid' } },
    });
    token = rotated.body.token;
  }

  expect((await onOther('GET', '/content', token)).status).toBe(200);
  expect((await stack.api('PATCH', `/operators/${op.id}`, { body: { roles: ['ingest'] } })).status).toBe(200);
  expect((await onOther('GET', '/content', token)).status).toBe(403);
  expect((await stack.api('PATCH', `/operators/${op.id}`, { body: { disabled: true } })).status).toBe(200);
  expect((await onOther('GET', '/operators/me', token)).status).toBe(401);
});

test('a channel disabled through one API is refused by the other at once, before anything is stored', async () => {
  await bothHeard();
  const author = await stack.operator(['ops_manager']);
  const created = await stack.api('POST', '/channels', {
    body: { name: 'cache-news', url: stack.hooks.url('/cache-news'), secret: 'a-long-shared-secret-123' },
  });
  expect(created.status).toBe(201);
  const submission = { title: 'Cached', body: 'A clean post.', tier: 'A', channels: ['cache-news'] };
  for (let i = 0; i < 2; i++) expect((await onOther('POST', '/content', author.token, submission)).status).toBe(202);

  expect((await stack.api('PATCH', `/channels/${created.body.id}`, { body: { enabled: false } })).status).toBe(200);
  expect(await onOther('POST', '/content', author.token, { ...submission, title: 'Refused' })).toMatchObject({
    status: 422,
    body: { error: { fields: [{ field: 'channels[0]', message: 'no enabled channel named "cache-news"' }] } },
  });
  expect(await sql("select count(*)::int as n from content where title = 'Refused'")).toEqual([{ n: 0 }]);
  expect((await onOther('GET', `/content?q=Refused`, author.token)).body.total).toBe(0);

  expect((await stack.api('PATCH', `/channels/${created.body.id}`, { body: { enabled: true } })).status).toBe(200);
  expect((await onOther('POST', '/content', author.token, { ...submission, title: 'Again' })).status).toBe(202);
});

test('while the listener is gone the cache answers nothing, and what changed meanwhile is not served after', async () => {
  await bothHeard();
  const op = await stack.operator(['reviewer']);
  await warm(op.token);
  await sql(`select pg_terminate_backend(pid, 5000) from pg_stat_activity where application_name = $1 and datname = current_database()`, [
    LISTENER_NAME,
  ]);
  // Both listeners notice (the other one reconnects after a quarter of a second).
  await eventually(async () => !(await changesHeard(other.orm)), 'the listener to notice it is gone', 5_000);
  // A change nobody hears: refused during the gap, and after the listener is back.
  await sql('update operators set disabled = true where id = $1', [op.id], true);
  expect((await onOther('GET', '/operators/me', op.token)).status).toBe(401);
  await bothHeard();
  expect((await onOther('GET', '/operators/me', op.token)).status).toBe(401);
});

test('the embedded single-connection database keeps no cache (no connection to spare for listening)', async () => {
  const single = await openOrm({ clientUrl: stack.db.url, poolMax: 1 });
  try {
    expect(await changeCache(single, { table: 'operators', max: 1 })).toBeUndefined();
  } finally {
    await single.close();
  }
});
