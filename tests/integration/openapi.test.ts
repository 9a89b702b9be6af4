// The OpenAPI document as clients and linters read it, and the answers it promises for wrong methods and pages.
// The API runs on a fresh database; no route here reaches Temporal (the client points at a closed port).
import { Client, Connection } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createApp } from '../../api/app.ts';
import { toHttpError } from '../../api/errors.ts';
import { OPERATION_IDS } from '../../api/openapi.ts';
import { hashToken } from '../../api/tokens.ts';
import { createLogger } from '../../runtime/logger.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

interface Operation {
  operationId?: string;
  description: string;
  requestBody?: { required: boolean; content: Record<string, unknown> };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, unknown> }>;
}

let db: TestDb;
let temporal: Client;
let server: Server;
let baseUrl: string;
let adminToken: string;
let doc: { paths: Record<string, Record<string, Operation>> };

const call = async (method: string, url: string, body?: unknown, token: string | null = adminToken) => {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
};

const operations = () =>
  Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ key: `${m} ${p}`, op })));

beforeAll(async () => {
  db = await createTestDb();
  temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  adminToken = `opf_test_${randomBytes(16).toString('hex')}`;
  await db.orm.em
    .getConnection()
    .execute(
      `insert into operators (id, name, email, roles, token_hash, disabled, created_at, updated_at) values (?, 'admin', 'admin@example.com', '{admin}', ?, false, now(), now())`,
      [randomUUID(), hashToken(adminToken)],
    );
  const app = createApp({
    orm: db.orm,
    temporal,
    taskQueue: 'openapi-test',
    temporalDeadlineMs: 1000,
    publicUrl: 'http://opsflow.test',
    log: createLogger('silent'),
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  doc = (await call('GET', '/openapi.json', undefined, null)).json();
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await temporal?.connection.close();
  await db?.drop();
});

test('every operation has a readable operationId, unique across the document', () => {
  const ids = operations().map(({ op }) => op.operationId);
  expect(ids.every((id) => typeof id === 'string' && /^[a-z][a-zA-Z]+$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  const idOf = (key: string) => operations().find((o) => o.key === key)?.op.operationId;
  expect(idOf('get /campaigns')).toBe('listCampaigns');
  expect(idOf('get /campaigns/{id}')).toBe('getCampaign');
  expect(idOf('post /tasks/{id}/complete')).toBe('completeTask');
  expect(idOf('post /content/{id}/revisions')).toBe('createContentRevision');
  expect(idOf('put /policies/lifecycle')).toBe('setLifecyclePolicy');
  expect(idOf('post /partners/score')).toBe('scorePartners');
  // Each hand-worded id names a route that exists (a renamed path must not leave one behind).
  const keys = new Set(operations().map((o) => o.key));
  expect(Object.keys(OPERATION_IDS).filter((k) => !keys.has(k))).toEqual([]);
});

test('role-restricted routes document 403, body routes their own 413 limit, 429 and 503 their headers', () => {
  for (const { key, op } of operations()) {
    if (/^Allowed roles: (?!any operator)/.test(op.description))
      expect({ key, has403: '403' in op.responses }).toEqual({ key, has403: true });
    expect({ key, headers: Object.keys(op.responses['503']?.headers ?? {}) }).toEqual({ key, headers: ['Retry-After'] });
    expect({ key, headers: Object.keys(op.responses['429']?.headers ?? {}) }).toEqual({
      key,
      headers: ['Retry-After', 'RateLimit', 'RateLimit-Policy'],
    });
  }
  // A PATCH of nothing is refused by every PATCH route; the document says so, so generated bodies are not {}.
  const patches = operations().filter((o) => o.key.startsWith('patch '));
  expect(
    patches.filter(
      (o) => (o.op.requestBody?.content['application/json'] as { schema: { minProperties?: number } }).schema.minProperties !== 1,
    ),
  ).toEqual([]);
  const limit = (key: string) => operations().find((o) => o.key === key)!.op.responses['413']!.description;
  expect(limit('post /events')).toMatch(/over 16 MB/);
  expect(limit('post /metrics')).toMatch(/over 16 MB/);
  expect(limit('post /operators')).toMatch(/over 1 MB/);
});

test('the unsubscribe routes document HTML pages and the one-click form body', () => {
  for (const method of ['get', 'post']) {
    const op = doc.paths['/unsubscribe/{token}']![method]!;
    expect(Object.keys(op.responses['200']!.content!)).toEqual(['text/html']);
    expect(Object.keys(op.responses['404']!.content!)).toEqual(['text/html']);
    expect(op.responses['204']).toBeUndefined();
  }
  const post = doc.paths['/unsubscribe/{token}']!.post!;
  expect(post.requestBody).toMatchObject({ required: false, content: { 'application/x-www-form-urlencoded': expect.any(Object) } });
});

test('redocly lints the document with no warning left', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['node_modules/@redocly/cli/bin/cli.js', 'lint', file, '--config', 'redocly.yaml', '--format', 'json'],
      { env },
    );
    const problems = (JSON.parse(stdout) as { problems: { ruleId: string; message: string; location: { pointer: string }[] }[] }).problems;
    expect(problems.map((p) => `${p.ruleId}: ${p.message} (${p.location[0]?.pointer})`)).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a literal path segment wins over a parameter: its missing methods answer 405, its own ones work', async () => {
  const me = await call('PATCH', '/operators/me', { name: 'Me' });
  expect({ status: me.status, allow: me.headers.get('allow') }).toEqual({ status: 405, allow: 'GET, HEAD' });
  const score = await call('PATCH', '/partners/score', { name: 'x' });
  expect({ status: score.status, allow: score.headers.get('allow') }).toEqual({ status: 405, allow: 'POST' });
  expect((await call('GET', '/partners/score')).status).toBe(405);

  expect((await call('GET', '/operators/me')).json().email).toBe('admin@example.com');
  expect((await call('POST', '/partners/score', { brief: { budget: 1000, goal: 'awareness' } })).status).toBe(200);
  const created = (await call('POST', '/operators', { name: 'Ren', email: `ren-${randomUUID()}@example.com`, roles: ['reviewer'] })).json();
  const renamed = await call('PATCH', `/operators/${created.id}`, { name: 'Ren A.' });
  expect({ status: renamed.status, name: renamed.json().name }).toEqual({ status: 200, name: 'Ren A.' });
  expect((await call('PATCH', '/operators/not-an-id', { name: 'x' })).status).toBe(400);
});

test('PATCH /operators/:id refuses repeated roles as POST does, naming roles', async () => {
  const created = (await call('POST', '/operators', { name: 'Dup', email: `dup-${randomUUID()}@example.com`, roles: ['reviewer'] })).json();
  const patched = await call('PATCH', `/operators/${created.id}`, { roles: ['legal', 'legal'] });
  expect(patched.status).toBe(400);
  expect(patched.json().error.fields).toEqual([{ field: 'roles', message: 'roles must not repeat' }]);
  expect((await call('GET', '/operators?role=legal')).json().items.map((o: { id: string }) => o.id)).not.toContain(created.id);
  const posted = await call('POST', '/operators', { name: 'Dup2', email: `dup2-${randomUUID()}@example.com`, roles: ['legal', 'legal'] });
  expect(posted.json().error.fields).toEqual([{ field: 'roles', message: 'roles must not repeat' }]);
});

test('unsubscribe links answer HTML pages: a cut-short link is "not recognised", one-click works', async () => {
  const token = randomBytes(32).toString('hex');
  const customer = randomUUID();
  await db.orm.em
    .getConnection()
    .execute(
      `insert into customers (id, external_id, email, unsubscribe_token, marketing_consent, created_at, updated_at) values (?, ?, 'kim@example.com', ?, true, now(), now())`,
      [customer, `ext-${customer}`, token],
    );
  for (const link of [`/unsubscribe/${token.slice(0, 40)}`, `/unsubscribe/${'0'.repeat(64)}`]) {
    const res = await call('GET', link, undefined, null);
    expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status: 404, type: 'text/html; charset=utf-8' });
    expect(res.text).toContain('Link not recognised');
  }
  const oneClick = await fetch(`${baseUrl}/unsubscribe/${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect({ status: oneClick.status, type: oneClick.headers.get('content-type') }).toEqual({
    status: 200,
    type: 'text/html; charset=utf-8',
  });
  expect(await oneClick.text()).toContain('You are unsubscribed');
  const [row] = await db.orm.em
    .getConnection()
    .execute<{ done: boolean }[]>('select unsubscribed_at is not null as done from customers where id = ?', [customer]);
  expect(row!.done).toBe(true);
});

test('an instant outside 1970-9999 once its offset is applied is a 400 naming it, never a 500 from PostgreSQL', async () => {
  // The fuzzer's find: year 1 at +03:15 is year 0 in UTC, which PostgreSQL refuses.
  const from = encodeURIComponent('0001-01-01T01:51:10.265+03:15');
  const res = await call('GET', `/audit?from=${from}`);
  expect(res.status).toBe(400);
  expect(res.json().error.fields).toEqual([
    { field: 'query.from', message: 'must be from 1970 through 9999 (in UTC)', code: 'years_1970_9999' },
  ]);
  expect((await call('GET', `/audit?to=${encodeURIComponent('2026-12-03T10:00:00+08:00')}`)).status).toBe(200);
});

test("PostgreSQL's data exceptions (class 22) map to 400 with its words, where a schema let a value through", async () => {
  const err = await db.orm.em
    .getConnection()
    .execute(`select '0000-12-31T22:36Z'::timestamptz`)
    .catch((e: unknown) => e);
  expect(toHttpError(err)).toMatchObject({ status: 400, message: expect.stringMatching(/^a value cannot be stored: .*out of range/) });
});

test('/health documents its 503 as its own report (what is down), not the error body', () => {
  const unavailable = doc.paths['/health']!.get!.responses['503']!;
  expect(unavailable.content).toMatchObject({
    'application/json': { schema: { properties: { postgres: expect.any(Object), temporal: expect.any(Object) } } },
  });
});
