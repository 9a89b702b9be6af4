// Back-pressure on event delivery: the main queue's workflow-task backlog as the server reports it, and a pass that
// holds back while it is long, leaving the events stored and undelivered until Temporal catches up.
import { randomUUID } from 'node:crypto';
import { deliverShardPass } from '../../activities/event-delivery.ts';
import { overLimit } from '../../activities/queue-backlog.ts';
import { queueBacklog } from '../../runtime/queue-backlog.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../../domain/lifecycle.types.ts';
import { heldEvent } from '../support/events.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { eventually } from '../support/wait.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

test('the backlog reading counts workflow tasks no worker has taken, and says to hold back past the limit', async () => {
  const idle = `nobody-polls-${randomUUID()}`;
  const backlog = queueBacklog(stack.env.client, idle);
  expect(overLimit(await backlog(), { tasks: 2, ageMs: 60_000 })).toBe(false);
  for (let i = 0; i < 5; i++) {
    await stack.env.client.workflow.start('customerLifecycle', { workflowId: `backlog-${randomUUID()}`, taskQueue: idle, args: [{}] });
  }
  // The server's figure is approximate and refreshed every few seconds; the gauge asks at most once a second.
  const seen = await eventually(
    async () => {
      const b = await queueBacklog(stack.env.client, idle)();
      return b !== null && b.tasks >= 5 && b;
    },
    'a backlog of 5 workflow tasks',
    30_000,
  );
  expect(seen.tasks).toBeGreaterThanOrEqual(5);
  expect(overLimit(seen, { tasks: 2, ageMs: 60_000 })).toBe(true);
  expect(overLimit(seen, { tasks: 100, ageMs: 60_000 })).toBe(false);
  // The worked queue has (next to) nothing waiting.
  const worked = await queueBacklog(stack.env.client, stack.taskQueue)();
  expect(worked).not.toBeNull();
  expect(overLimit(worked)).toBe(false);
});

test('a pass held back signals nothing and leaves the events undelivered; the next pass delivers them', async () => {
  const { shard, delivered, release } = await heldEvent(stack, 'backpressure-test');
  try {
    let signals = 0;
    const deps = {
      orm: stack.db.orm,
      temporal: stack.env.client,
      taskQueue: stack.taskQueue,
      call: async <T>(fn: () => Promise<T>) => {
        signals += 1;
        return fn();
      },
    };
    const held = await deliverShardPass({ ...deps, holdBack: async () => true }, shard, DEFAULT_LIFECYCLE_POLICY);
    expect(held).toMatchObject({ delivered: 0, customers: 0, failed: 0, heldBack: true });
    expect(held.found).toBeGreaterThanOrEqual(1);
    expect(signals).toBe(0);
    expect(await delivered()).toBe(false);

    const free = await deliverShardPass({ ...deps, holdBack: async () => false }, shard, DEFAULT_LIFECYCLE_POLICY);
    expect(free).toMatchObject({ failed: 0, heldBack: false });
    expect(free.delivered).toBeGreaterThanOrEqual(1);
    expect(await delivered()).toBe(true);
  } finally {
    await release();
  }
});

test("GET /events/ingest-status gives the main queue's waiting workflow tasks: delivered events wait there until a worker applies them", async () => {
  const { token } = await stack.operator(['ingest']);
  const status = async () => (await stack.api('GET', '/events/ingest-status', { token })).body;
  // The worked queue: a reading, with (next to) nothing waiting.
  expect((await status()).workflowTasks).toEqual({ waiting: expect.any(Number), oldestWaitingMs: expect.any(Number) });
  await stack.stopWorker();
  const ids = Array.from({ length: 5 }, () => `status-backlog-${randomUUID()}`);
  try {
    for (const workflowId of ids)
      await stack.env.client.workflow.start('customerLifecycle', { workflowId, taskQueue: stack.taskQueue, args: [{}] });
    // The server's figure is approximate and refreshed every few seconds; the API asks at most once a second.
    const seen = await eventually(
      async () => {
        const body = await status();
        return body.workflowTasks?.waiting >= 5 && body;
      },
      'five waiting workflow tasks in the status',
      30_000,
    );
    expect(seen.workflowTasks.oldestWaitingMs).toBeGreaterThan(0);
    expect(seen.undelivered).toEqual(expect.any(Number));
  } finally {
    for (const workflowId of ids) await stack.env.client.workflow.getHandle(workflowId).terminate('test done');
    await stack.startWorker();
  }
});
