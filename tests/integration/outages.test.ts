// Honest answers during outages: PostgreSQL refusing connections answers 503 with Retry-After (never 500), /health
// answers whatever token is sent, an unreachable Temporal answers 503 within about a second, a hung one 504 at the
// deadline plus a small margin; and the API reads who is calling before it reads a body.
import { Client, Connection } from '@temporalio/client';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { deliverShardPass } from '../../activities/event-delivery.ts';
import { customerLifecycleId } from '../../domain/ids.ts';
import { getLifecycle } from '../../workflows/lifecycle.messages.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../../domain/lifecycle.types.ts';
import { createApp } from '../../api/app.ts';
import { temporalUnavailable } from '../../api/errors.ts';
import { DEADLINE_MARGIN_MS } from '../../api/temporal.ts';
import { createLogger } from '../../runtime/logger.ts';
import { heldEvent } from '../support/events.ts';
import { serving } from '../support/http.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

/** The API on this stack's database with another Temporal client, for the length of `run`. */
const withApi = (temporal: Client, deadlineMs: number, run: (base: string) => Promise<void>) =>
  serving(
    createApp({
      orm: stack.db.orm,
      temporal,
      taskQueue: stack.taskQueue,
      log: createLogger('silent'),
      publicUrl: 'http://opsflow.test',
      temporalDeadlineMs: deadlineMs,
    }),
    run,
  );

async function timed(url: string, init: RequestInit = {}) {
  const started = performance.now();
  const res = await fetch(url, { ...init, headers: { authorization: `Bearer ${stack.admin.token}`, ...init.headers } });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as any,
    ms: performance.now() - started,
  };
}

async function someContent(): Promise<string> {
  const channel = `c-${randomUUID().slice(0, 8)}`;
  await stack.api('POST', '/channels', { body: { name: channel, url: 'https://example.com/hook', secret: 'a-long-shared-secret-123' } });
  const res = await stack.api('POST', '/content', {
    body: { title: 'Outage', body: 'Everything is 20% off this weekend.', tier: 'A', channels: [channel] },
  });
  expect(res.status).toBe(202);
  return res.body.id;
}

test('PostgreSQL refusing connections: 503 with Retry-After on reads, writes and ingest; /health answers with a token', async () => {
  const ingest = await stack.operator(['ingest']);
  const customer = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: { externalId: `pg-${randomUUID()}`, email: 'pg@example.com' },
  });
  expect(customer.status).toBe(200);
  await stack.db.connectable(false);
  try {
    const tasks = await timed(`${stack.baseUrl}/tasks`);
    expect(tasks).toMatchObject({
      status: 503,
      retryAfter: '5',
      body: { error: { code: 'unavailable', message: expect.stringContaining('database') } },
    });
    const events = await fetch(`${stack.baseUrl}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingest.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ externalId: 'x', type: 'login', at: new Date().toISOString(), idempotencyKey: randomUUID() }] }),
    });
    expect(events.status).toBe(503);
    expect(events.headers.get('retry-after')).toBe('5');
    const health = await timed(`${stack.baseUrl}/health`);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ ok: false, postgres: { ok: false }, temporal: { ok: true } });
    expect(health.retryAfter).toBe('5');
    const anonymous = await fetch(`${stack.baseUrl}/health`);
    expect(anonymous.status).toBe(503);
  } finally {
    await stack.db.connectable(true);
  }
  const after = await stack.api('GET', '/tasks');
  expect(after.status).toBe(200);
});

test('Temporal unreachable: 503 with Retry-After within about a second, every time', async () => {
  const id = await someContent();
  // A port nothing listens on: the server is down.
  const free = createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', () => resolve()));
  const port = (free.address() as AddressInfo).port;
  await new Promise<void>((resolve) => free.close(() => resolve()));
  const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
  try {
    await withApi(new Client({ connection }), 10_000, async (base) => {
      for (let i = 0; i < 3; i++) {
        const res = await timed(`${base}/content/${id}`);
        expect(res).toMatchObject({
          status: 503,
          retryAfter: '2',
          body: { error: { code: 'unavailable', message: expect.stringContaining('Temporal') } },
        });
        expect(res.ms).toBeLessThan(1500);
      }
      const health = await timed(`${base}/health`);
      expect(health.body).toMatchObject({ ok: false, postgres: { ok: true }, temporal: { ok: false } });
      expect(health.ms).toBeLessThan(1500);
    });
  } finally {
    await connection.close();
  }
});

test('Temporal hung (accepts, never answers): 504 at the deadline plus a small margin, not after the client retries', async () => {
  const id = await someContent();
  const sockets: Socket[] = [];
  const blackhole = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', () => resolve()));
  const connection = Connection.lazy({ address: `127.0.0.1:${(blackhole.address() as AddressInfo).port}` });
  const deadline = 1500;
  try {
    await withApi(new Client({ connection }), deadline, async (base) => {
      const res = await timed(`${base}/content/${id}`);
      expect(res.status).toBe(504);
      expect(res.ms).toBeGreaterThanOrEqual(deadline - 50);
      expect(res.ms).toBeLessThan(deadline + DEADLINE_MARGIN_MS + 500);
    });
  } finally {
    await connection.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => blackhole.close(() => resolve()));
  }
});

test('an anonymous caller gets 401 before any body is read: malformed or oversized', async () => {
  const malformed = await fetch(`${stack.baseUrl}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"events": [',
  });
  expect(malformed.status).toBe(401);
  const big = await fetch(`${stack.baseUrl}/customers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `{"x":"${'a'.repeat(20 * 1024 * 1024)}"}`,
  });
  expect(big.status).toBe(401);
  const reader = await stack.operator(['analyst']);
  const forbidden = await fetch(`${stack.baseUrl}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${reader.token}`, 'content-type': 'application/json' },
    body: '{"events": [',
  });
  expect(forbidden.status).toBe(403);
  // An authorized caller still gets the parse error, and the batch routes their larger limit.
  const ingest = await stack.operator(['ingest']);
  const bad = await fetch(`${stack.baseUrl}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ingest.token}`, 'content-type': 'application/json' },
    body: '{"events": [',
  });
  expect(bad.status).toBe(400);
  const tooBig = await fetch(`${stack.baseUrl}/channels`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.admin.token}`, 'content-type': 'application/json' },
    body: `{"name":"${'a'.repeat(2 * 1024 * 1024)}"}`,
  });
  expect(tooBig.status).toBe(413);
});

test('event delivery marks an event delivered only once its signal is accepted; a delivery not recorded goes again, and is ignored', async () => {
  // The shard's lease keeps its dispatcher away: the passes below are the only deliveries.
  const { customerId, shard, delivered, release } = await heldEvent(stack, 'outages-test');
  try {
    const deps = { orm: stack.db.orm, temporal: stack.env.client, taskQueue: stack.taskQueue };
    const policy = DEFAULT_LIFECYCLE_POLICY;

    // Temporal unreachable: nothing signalled, nothing marked.
    const unreachable = async () => {
      throw temporalUnavailable();
    };
    expect(await deliverShardPass({ ...deps, call: unreachable }, shard, policy)).toEqual({
      delivered: 0,
      customers: 0,
      failed: 1,
      found: 1,
      heldBack: false,
    });
    expect(await delivered()).toBe(false);

    // The signal goes through; the database refuses the write after it: the pass fails, the event stays undelivered.
    const afterSignal = async <T>(fn: () => Promise<T>) => {
      const result = await fn();
      await stack.db.connectable(false);
      return result;
    };
    try {
      await expect(deliverShardPass({ ...deps, call: afterSignal }, shard, policy)).rejects.toThrow();
    } finally {
      await stack.db.connectable(true);
    }
    expect(await delivered()).toBe(false);

    // The next pass sends it again and records it; the lifecycle counts the repeat as a duplicate.
    expect(await deliverShardPass(deps, shard, policy)).toEqual({ delivered: 1, customers: 1, failed: 0, found: 1, heldBack: false });
    expect(await delivered()).toBe(true);
    const handle = stack.env.client.workflow.getHandle(customerLifecycleId(customerId));
    const view = await eventually(async () => {
      const v = await handle.query(getLifecycle);
      return v.counters.events + v.counters.duplicates === 2 && v;
    }, 'both signals applied');
    expect(view.counters).toMatchObject({ events: 1, duplicates: 1 });
  } finally {
    await release();
  }
});
