// Back-pressure on event delivery: the main queue's workflow-task backlog as the server reports it, and a pass that
// holds back while it is long, leaving the events stored and undelivered until Temporal catches up.
import { randomUUID } from 'node:crypto';
import { deliverShardPass } from '../../activities/event-delivery.ts';
import { overLimit, queueBacklog } from '../../activities/queue-backlog.ts';
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
