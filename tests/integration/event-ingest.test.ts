// Asynchronous event ingest over HTTP: POST /events answers once the batch is stored; each shard's dispatcher workflow
// delivers it to the lifecycles; GET /events/ingest-status counts what is still on its way. Dev server, PostgreSQL.
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createApp } from '../../api/app.ts';
import { createLogger } from '../../runtime/logger.ts';
import { EVENT_SHARDS, eventShardOf } from '../../domain/event-shards.ts';
import { dispatcherTaskQueue, eventDispatcherId } from '../../workflows/event-dispatch.messages.ts';
import { customerLifecycleId } from '../../domain/ids.ts';
import { getLifecycle } from '../../workflows/lifecycle.messages.ts';
import { holdCustomers } from '../support/db.ts';
import { delivered } from '../support/events.ts';
import { recordHistory } from '../support/histories.ts';
import { serving } from '../support/http.ts';
import { startStack, type Stack, type TestOperator } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;
let ingest: TestOperator;

beforeAll(async () => {
  stack = await startStack();
  ingest = await stack.operator(['ingest'], 'backend');
});

afterAll(async () => {
  await stack?.close();
});

async function importCustomers(tag: string, n: number): Promise<{ id: string; externalId: string }[]> {
  const res = await stack.api('POST', '/customers', {
    token: ingest.token,
    body: {
      customers: Array.from({ length: n }, (_, i) => ({ externalId: `${tag}-${i}`, email: `${tag}-${i}@example.com` })),
    },
  });
  expect(res.status).toBe(200);
  return res.body.items;
}

/** Each lifecycle's counters once it has applied `events` events (or the time runs out). */
const countersOnce = (customers: { id: string }[], events: number) =>
  Promise.all(
    customers.map((c) =>
      eventually(
        async () => {
          const view = await stack.env.client.workflow.getHandle(customerLifecycleId(c.id)).query(getLifecycle);
          return view.counters.events + view.counters.duplicates >= events && view.counters;
        },
        `lifecycle ${c.id} with ${events} events`,
        60_000,
      ),
    ),
  );

test('a 10,000-event batch is answered once stored; every event reaches its lifecycle exactly once; the backlog counts down to zero', async () => {
  const tag = `big-${randomUUID().slice(0, 8)}`;
  const customers = await importCustomers(tag, 100);
  const at = (i: number) => new Date(Date.now() - 60_000 + i).toISOString();
  const events = customers.flatMap((c, ci) =>
    Array.from({ length: 100 }, (_, k) => ({
      customerId: c.id,
      type: k === 0 ? 'signup' : 'login',
      at: at(k),
      idempotencyKey: `${tag}-${ci}-${k}`,
    })),
  );
  const sent = await stack.api('POST', '/events', { token: ingest.token, body: { events } });
  expect(sent.status).toBe(202);
  expect(sent.body).toMatchObject({ accepted: 10_000, duplicates: 0, customers: 100 });

  // Answered before delivery: the backlog is still there, then only shrinks, to zero.
  const seen: number[] = [];
  const first = await stack.api('GET', `/events/ingest-status?cursor=${sent.body.cursor}`, { token: ingest.token });
  expect(first.body.cursor.delivered).toBe(false);
  expect(first.body.undelivered).toBeGreaterThan(0);
  expect(first.body.oldestAgeMs).toEqual(expect.any(Number));
  seen.push(first.body.undelivered);
  await eventually(
    async () => {
      const res = await stack.api('GET', '/events/ingest-status', { token: ingest.token });
      seen.push(res.body.undelivered);
      return res.body.undelivered === 0 && res.body.oldestReceivedAt === null;
    },
    'the backlog empty',
    60_000,
  );
  expect(seen.slice(1).every((n, i) => n <= seen[i]!)).toBe(true);
  expect((await delivered(stack.api, sent.body.cursor)).cursor.delivered).toBe(true);

  // Exactly once: 100 distinct events each, none repeated, every row marked.
  const counters = await countersOnce(customers, 100);
  expect(counters.filter((c) => c.events !== 100 || c.duplicates !== 0)).toEqual([]);
  const [{ n }] = (await stack.db.orm.em
    .getConnection()
    .execute<{ n: number }[]>('select count(*)::int as n from customer_events where idempotency_key like ? and delivered_at is not null', [
      `${tag}-%`,
    ])) as [{ n: number }];
  expect(n).toBe(10_000);

  // The same batch again: all duplicates, nothing new reaches a lifecycle.
  const again = await stack.api('POST', '/events', { token: ingest.token, body: { events } });
  expect(again.body).toMatchObject({ accepted: 0, duplicates: 10_000 });
  expect((await delivered(stack.api, again.body.cursor)).undelivered).toBe(0);
  const view = await stack.env.client.workflow.getHandle(customerLifecycleId(customers[0]!.id)).query(getLifecycle);
  expect(view.counters).toMatchObject({ events: 100, duplicates: 0 });

  // A dispatcher that delivered its share and waits for the next wake (tests/replay replays it).
  await recordHistory(stack.env.client, eventDispatcherId(stack.taskQueue, eventShardOf(customers[0]!.id)), 'event-dispatcher-drained');
}, 120_000);

/** A TCP port that forwards to the dev server once `open()` is called; until then nothing listens on it. */
async function switchableTemporal(target: string) {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const [host, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  let server: Server | undefined;
  const sockets: Socket[] = [];
  return {
    address: `127.0.0.1:${port}`,
    async open() {
      server = createServer((inbound) => {
        const outbound = connect(targetPort, host);
        sockets.push(inbound, outbound);
        inbound.on('error', () => outbound.destroy());
        outbound.on('error', () => inbound.destroy());
        inbound.pipe(outbound).pipe(inbound);
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', () => resolve()));
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}

test('Temporal unreachable from the API: POST /events still answers 202, and the events are delivered once it is back', async () => {
  const tag = `down-${randomUUID().slice(0, 8)}`;
  const customers = await importCustomers(tag, 20);
  // No dispatcher runs (an idle one would look on its own timer): only the API's wake can start them.
  for (let shard = 0; shard < EVENT_SHARDS; shard++) {
    await stack.env.client.workflow
      .getHandle(eventDispatcherId(stack.taskQueue, shard))
      .terminate('the outage test')
      .catch(() => undefined);
  }
  const temporal = await switchableTemporal(stack.env.address);
  const connection = Connection.lazy({ address: temporal.address });
  try {
    const app = createApp({
      orm: stack.db.orm,
      temporal: new Client({ connection }),
      taskQueue: stack.taskQueue,
      log: createLogger('silent'),
      publicUrl: 'http://opsflow.test',
      temporalDeadlineMs: 10_000,
    });
    await serving(app, async (base) => {
      const post = async (body: unknown) => {
        const res = await fetch(`${base}/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ingest.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as { accepted: number; cursor: string } };
      };
      const answers = [];
      for (let round = 0; round < 3; round++) {
        answers.push(
          await post({
            events: customers.map((c, i) => ({
              customerId: c.id,
              type: round === 0 ? 'signup' : 'login',
              at: new Date().toISOString(),
              idempotencyKey: `${tag}-${round}-${i}`,
            })),
          }),
        );
      }
      expect(answers.map((a) => [a.status, a.body.accepted])).toEqual([
        [202, 20],
        [202, 20],
        [202, 20],
      ]);
      const cursor = answers.at(-1)!.body.cursor;
      // Stored, and (nothing woke a dispatcher) not delivered: no lifecycle exists yet.
      const status = await fetch(`${base}/events/ingest-status?cursor=${cursor}`, { headers: { authorization: `Bearer ${ingest.token}` } });
      expect(((await status.json()) as { cursor: { delivered: boolean } }).cursor.delivered).toBe(false);
      await expect(stack.env.client.workflow.getHandle(customerLifecycleId(customers[0]!.id)).describe()).rejects.toThrow();

      // Temporal is back for this API: its wakes, tried again every few seconds, go through; nothing else is posted.
      await temporal.open();
      await delivered(stack.api, cursor, { timeoutMs: 60_000 });
    });
    const counters = await countersOnce(customers, 3);
    expect(counters.filter((c) => c.events !== 3 || c.duplicates !== 0)).toEqual([]);
  } finally {
    await connection.close();
    await temporal.close();
  }
}, 120_000);

test('a dispatcher woken again and again cancels no timer: its idle check, once started, serves the passes after it', async () => {
  const [c] = await importCustomers(`wakes-${randomUUID().slice(0, 8)}`, 1);
  const dispatcher = stack.env.client.workflow.getHandle(eventDispatcherId(stack.taskQueue, eventShardOf(c!.id)));
  const key = randomUUID();
  // Five batches, each posted once the one before is in the lifecycle and the pass that took it has stopped looking
  // for more (it lingers 750 ms): five wakes of a dispatcher waiting on its idle check.
  for (let i = 1; i <= 5; i++) {
    if (i > 1) await new Promise((r) => setTimeout(r, 1_500));
    const res = await stack.api('POST', '/events', {
      token: ingest.token,
      body: { events: [{ customerId: c!.id, type: 'login', at: new Date().toISOString(), idempotencyKey: `${key}-${i}` }] },
    });
    expect(res.status).toBe(202);
    await countersOnce([c!], i);
  }
  const events = (await dispatcher.fetchHistory()).events ?? [];
  const passes = events.filter((e) => e.activityTaskScheduledEventAttributes).length;
  const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
  expect(signals).toBeGreaterThanOrEqual(5);
  expect(events.filter((e) => e.timerCanceledEventAttributes)).toHaveLength(0);
  // The idle check is there (a lost wake is found within 30 s), one timer for many passes.
  const timers = events.filter((e) => e.timerStartedEventAttributes).length;
  expect(timers).toBeGreaterThanOrEqual(1);
  expect(timers).toBeLessThan(passes);
});

test("a customer's lastActiveAt moves to the newest event once it is more than a minute ahead, and never back", async () => {
  const [c] = await importCustomers(`active-${randomUUID().slice(0, 8)}`, 1);
  const t0 = Date.now() - 3_600_000;
  const post = async (offsetMs: number, key: string) => {
    const res = await stack.api('POST', '/events', {
      token: ingest.token,
      body: { events: [{ customerId: c!.id, type: 'login', at: new Date(t0 + offsetMs).toISOString(), idempotencyKey: key }] },
    });
    expect(res.status).toBe(202);
    return (await stack.api('GET', `/customers/${c!.id}`)).body.lastActiveAt as string | null;
  };
  const key = randomUUID();
  expect(await post(0, `${key}-first`)).toBe(new Date(t0).toISOString());
  expect(await post(30_000, `${key}-30s`)).toBe(new Date(t0).toISOString()); // within the minute: not written
  expect(await post(-600_000, `${key}-older`)).toBe(new Date(t0).toISOString()); // an older event: never back
  expect(await post(90_000, `${key}-90s`)).toBe(new Date(t0 + 90_000).toISOString());
});

test('a batch naming a customer another writer holds is answered at once; the dispatchers fold its deferred KPI events with no reader asking', async () => {
  const [held, other] = await importCustomers(`fold-${randomUUID().slice(0, 8)}`, 2);
  const deferred = async () =>
    (
      await stack.db.orm.em
        .getConnection()
        .execute<{ n: number }[]>('select count(*)::int as n from kpi_deferred_events where customer_id = ?', [held!.id])
    )[0]!.n;
  // Another writer of `held` (yesterday's event, so no shared day row either), not committed yet.
  const writer = await holdCustomers(stack.db.url, [
    { customer: held!.id, type: 'login', at: new Date(Date.now() - 86_400_000).toISOString(), amount: null, key: randomUUID() },
  ]);
  try {
    const key = randomUUID();
    const res = await stack.api('POST', '/events', {
      token: ingest.token,
      body: {
        events: [
          { customerId: held!.id, type: 'key_action', at: new Date().toISOString(), idempotencyKey: `${key}-held` },
          { customerId: other!.id, type: 'key_action', at: new Date().toISOString(), idempotencyKey: `${key}-other` },
        ],
      },
    });
    expect(res.status).toBe(202);
    expect(await deferred()).toBe(1);
    // The dispatchers' runs meanwhile pass over it: the writer still holds the customer.
    await countersOnce([other!], 1);
    expect(await deferred()).toBe(1);
  } finally {
    await writer.commit();
  }
  // The next run (woken by the next batch) folds it.
  const res = await stack.api('POST', '/events', {
    token: ingest.token,
    body: { events: [{ customerId: other!.id, type: 'login', at: new Date().toISOString(), idempotencyKey: randomUUID() }] },
  });
  expect(res.status).toBe(202);
  await eventually(async () => (await deferred()) === 0, 'the deferred event folded', 30_000);
});

test("a dispatcher an older version started on the shared queue delivers, ends once idle, and the next wake starts it on the dispatchers' queue", async () => {
  const [c] = await importCustomers(`handover-${randomUUID().slice(0, 8)}`, 1);
  const shard = eventShardOf(c!.id);
  const workflowId = eventDispatcherId(stack.taskQueue, shard);
  const client = stack.env.client;
  const leased = async () =>
    (
      await stack.db.orm.em
        .fork()
        .getConnection()
        .execute('select 1 from event_dispatch_leases where shard = ? and expires_at > now()', [shard])
    ).length > 0;
  // The running dispatcher is replaced by one started as the version before the dispatchers' own queue did: on the
  // main queue, without `taskQueue`. The replaced run's pass may still be looking for more for a moment (it lingers
  // after delivering, holding the shard's lease), and a wake still due from the tests before may start a new run
  // first: until neither, again.
  const old = await eventually<Awaited<ReturnType<Client['workflow']['start']>>>(
    async () => {
      await client.workflow
        .getHandle(workflowId)
        .terminate('replaced by an old-style dispatcher')
        .catch(() => undefined);
      if (await leased()) return undefined;
      try {
        return await client.workflow.start('eventDispatcher', { workflowId, taskQueue: stack.taskQueue, args: [{ shard }] });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
        throw err;
      }
    },
    'an old-style dispatcher alone on its shard',
    15_000,
  );
  const post = async (type: string) => {
    const res = await stack.api('POST', '/events', {
      token: ingest.token,
      body: { events: [{ customerId: c!.id, type, at: new Date().toISOString(), idempotencyKey: randomUUID() }] },
    });
    expect(res.status).toBe(202);
    return res.body.cursor as string;
  };

  await delivered(stack.api, await post('signup'));
  // The old-style run ends once its shard is empty (that run by its id: a wake may have started its successor already).
  const oldRun = client.workflow.getHandle(workflowId, old.firstExecutionRunId);
  await eventually(async () => (await oldRun.describe()).status.name === 'COMPLETED', 'the old dispatcher ended', 30_000);
  // A wake after it starts its successor on the dispatchers' queue.
  await delivered(stack.api, await post('login'));
  const successor = await eventually(
    async () => {
      const latest = await client.workflow.getHandle(workflowId).describe();
      return latest.runId !== old.firstExecutionRunId && latest;
    },
    'a successor run',
    15_000,
  );
  expect(successor.taskQueue).toBe(dispatcherTaskQueue(stack.taskQueue));
  expect((await countersOnce([c!], 2))[0]).toMatchObject({ events: 2, duplicates: 0 });
});
