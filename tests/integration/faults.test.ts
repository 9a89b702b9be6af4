// Fault injection against the system as production runs it: the API (`node api/server.ts`) and the worker
// (`node worker/main.ts`) as processes of their own, a Temporal dev server on a database file that is stopped and
// started again, PostgreSQL refusing connections, an SMTP sink that answers each message after 250 ms.
// Each case asserts the status codes and their latencies during the fault, 0 lost, and no double effects.
// The worker SIGKILLed mid-campaign is campaign-crash.test.ts; bench/faults.ts runs longer outages and prints figures.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { SMTP_CONNECTIONS } from '../../runtime/mailer.ts';
import { customerLifecycleId } from '../../domain/ids.ts';
import { recordEvents } from '../../workflows/lifecycle.messages.ts';
import type { EventsSignal } from '../../domain/lifecycle.types.ts';
import type { TestDb } from '../support/db.ts';
import {
  startProcessStack,
  tally,
  type Answer,
  type Proc,
  type ProcessStack,
  type SmtpSink,
  type TemporalServer,
} from '../support/processes.ts';
import { eventually } from '../support/wait.ts';

/** The documented target: a fault is answered 503 with Retry-After within about a second, not after the deadline. */
const FAST_ANSWER_MS = 1500;

let stack: ProcessStack;
let temporal: TemporalServer;
let db: TestDb;
let sink: SmtpSink;
let client: Client;
let api: Proc;
let worker: Proc;
const tokens: Record<'owner' | 'approver' | 'ingest' | 'author' | 'reviewer', string> = {} as never;

const call: ProcessStack['call'] = (...args) => stack.call(...args);
const startWorker = async () => {
  worker = await stack.startWorker();
};
const startApi = async () => {
  api = await stack.startApi();
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ok = (a: Answer) => a.status >= 200 && a.status < 300;
/** Calls a load keeps open at most: two loads together stay under the API's 30 for one address. */
const MAX_OPEN = 12;
/** A client waits the Retry-After it was given before repeating; at most 1 s here, to keep the test short. */
const backoff = (a: Answer) => sleep(Math.min(1000, a.retryAfter ? Number(a.retryAfter) * 1000 : 200));

interface Attempts<T> {
  item: T;
  answers: Answer[];
}

/**
 * Asks for each item `next()` gives, one every `everyMs` whatever the earlier ones are doing (a stalled call must not
 * hold the next back, or an outage would see no new requests), repeating an item after its Retry-After until
 * `settled` says its answer is final (for a minute at most).
 */
function openLoad<T>(next: () => T | undefined, everyMs: number, ask: (item: T) => Promise<Answer>, settled: (a: Answer) => boolean) {
  const items: Attempts<T>[] = [];
  const chains: Promise<void>[] = [];
  let exhausted = false;
  let unsettled = 0;
  const tick = () => {
    // A client keeps a bounded number of calls open (the API's bad-token limit counts calls in flight, see the report).
    if (unsettled >= MAX_OPEN) return;
    const item = exhausted ? undefined : next();
    if (item === undefined) {
      exhausted = true;
      return void clearInterval(ticker);
    }
    const entry: Attempts<T> = { item, answers: [] };
    items.push(entry);
    unsettled += 1;
    chains.push(
      (async () => {
        for (const until = Date.now() + 60_000; Date.now() < until;) {
          const a = await ask(item);
          entry.answers.push(a);
          if (settled(a)) break;
          await backoff(a);
        }
        unsettled -= 1;
      })(),
    );
  };
  const ticker = setInterval(tick, everyMs);
  tick();
  return {
    items,
    /** Waits until every item was asked for (or `stop` was called) and every one asked for has settled. */
    async done() {
      while (!exhausted) await sleep(50);
      await Promise.all(chains);
    },
    async stop() {
      exhausted = true;
      clearInterval(ticker);
      await this.done();
    },
  };
}

/** Customer events, one per request every `everyMs`, each repeated until it is answered 2xx. */
function ingestLoad(tag: string, externalIds: string[], everyMs: number) {
  let n = 0;
  const next = () => ({ key: `${tag}-e${n}`, externalId: externalIds[n++ % externalIds.length]! });
  return openLoad(
    next,
    everyMs,
    ({ key, externalId }) =>
      call('POST', '/events', tokens.ingest, {
        events: [{ externalId, type: 'login', at: new Date().toISOString(), idempotencyKey: key }],
      }),
    ok,
  );
}

interface ReviewTask {
  id: string;
  contentId: string;
  workflowId: string;
}

/** Review tasks rejected one every `everyMs`, each repeated until answered; a 409 after an attempt that got no 2xx
 * says that attempt was applied. */
function completionLoad(tasks: ReviewTask[], everyMs: number) {
  const queue = [...tasks];
  return openLoad(
    () => queue.shift(),
    everyMs,
    (task) => call('POST', `/tasks/${task.id}/complete`, tokens.reviewer, { decision: 'reject', comment: 'fault test' }),
    (a) => ok(a) || a.status === 409,
  );
}

async function importCustomers(tag: string, n: number): Promise<{ id: string; external_id: string }[]> {
  const people = Array.from({ length: n }, (_, i) => ({ externalId: `${tag}-c${i}`, email: `${tag}-c${i}@example.com` }));
  expect((await call('POST', '/customers', tokens.ingest, { customers: people })).status).toBe(200);
  return db.orm.em.getConnection().execute('select id::text, external_id from customers where external_id like ?', [`${tag}-c%`]);
}

/** `n` pieces of tier-A content, each waiting for its one review task. */
async function openReviewTasks(tag: string, n: number): Promise<ReviewTask[]> {
  const items = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await call('POST', '/content', tokens.author, {
        title: `${tag} ${i}`,
        body: 'Everything is 20% off this weekend.',
        tier: 'A',
        channels: ['faults'],
      });
      expect(res.status).toBe(202);
      return res.body as { id: string; workflowId: string };
    }),
  );
  const byContent = new Map(items.map((c) => [c.id, c.workflowId]));
  return eventually(
    async () => {
      const open = (await call('GET', '/tasks?entityType=content&status=open&limit=200', tokens.reviewer)).body.items as {
        id: string;
        entityId: string;
      }[];
      const ours = open.filter((t) => byContent.has(t.entityId));
      return ours.length === n && ours.map((t) => ({ id: t.id, contentId: t.entityId, workflowId: byContent.get(t.entityId)! }));
    },
    `${n} review tasks`,
    60_000,
  );
}

/** Decisions the workflow accepted (applied) on a task: Updates in its history, whatever the HTTP answers were. */
async function completionsApplied(workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'completeTask',
  ).length;
}

/** Event keys a customer's lifecycle was signalled with, from its history. */
async function keysSignalled(customerId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(customerLifecycleId(customerId)).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const signal = e.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName !== recordEvents.name) return [];
    return defaultPayloadConverter.fromPayload<EventsSignal>(signal.input!.payloads![0]!).events.map((ev) => ev.key);
  });
}

/** Every task decided once in its workflow, whatever the answers; the decision visible in the inbox. */
async function expectDecidedOnce(decided: Attempts<ReviewTask>[]) {
  const applied = await Promise.all(
    decided.map(async ({ item }) => ({ task: item.id, applied: await completionsApplied(item.workflowId) })),
  );
  expect(applied.filter((a) => a.applied !== 1)).toEqual([]);
  for (const { item, answers } of decided) {
    // A 409 only repeats a decision an earlier attempt (unanswered, or answered 5xx) had applied.
    const last = answers.at(-1)!;
    expect(ok(last) || (last.status === 409 && answers.length > 1 && !answers.slice(0, -1).some(ok))).toBe(true);
    const inbox = await eventually(async () => {
      const t = (await call('GET', `/tasks/${item.id}`, tokens.reviewer)).body;
      return t.status === 'completed' && t;
    }, 'the decision in the inbox');
    expect(inbox.decision).toBe('reject');
  }
}

/** Status codes with their counts and latencies, for the failure message and the log. */
function summary(answers: Answer[]): string {
  const by = new Map<number, number[]>();
  for (const a of answers) by.set(a.status, [...(by.get(a.status) ?? []), a.end - a.start]);
  return (
    [...by.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, ms]) => {
        ms.sort((a, b) => a - b);
        return `${status || 'no answer'} x${ms.length} (median ${ms[Math.floor(ms.length / 2)]} ms, max ${ms.at(-1)} ms)`;
      })
      .join(', ') || 'none'
  );
}

beforeAll(async () => {
  stack = await startProcessStack({ name: 'faults', smtpDelayMs: 250 });
  ({ temporal, db, sink, client } = stack);
  await Promise.all([startApi(), startWorker()]);

  tokens.owner = await stack.operator(['ops_manager']);
  tokens.approver = await stack.operator(['ops_manager']);
  tokens.author = await stack.operator(['ops_manager']);
  tokens.ingest = await stack.operator(['ingest']);
  tokens.reviewer = await stack.operator(['reviewer']);
  expect((await call('PUT', '/policies/messaging', tokens.owner, { frequencyCap: null, quietHours: null })).status).toBe(200);
  expect(
    (
      await call('POST', '/channels', stack.adminToken, {
        name: 'faults',
        url: 'https://hooks.example.com/faults',
        secret: 'channel-secret-0123456789',
      })
    ).status,
  ).toBe(201);
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

test('SIGTERM mid-campaign: the worker finishes only the sends talking to the mail server and exits within seconds; another worker sends the rest, each once', async () => {
  const tag = `term-${randomUUID().slice(0, 8)}`;
  const people = Array.from({ length: 300 }, (_, i) => ({
    externalId: `${tag}-${i}`,
    email: `${tag}-${i}@example.com`,
    tags: [tag],
    marketingConsent: true,
  }));
  expect((await call('POST', '/customers', tokens.ingest, { customers: people })).status).toBe(200);
  const child = worker; // the one worker on the queue until it is told to stop

  const created = await call('POST', '/campaigns', tokens.owner, {
    name: `Drain ${tag}`,
    budget: { total: 1000, currency: 'USD', costPerSend: 0.01 },
    audience: { filters: { tags: [tag] } },
    message: { subject: `Drain ${tag}`, body: 'Hello {{email}}' },
    schedule: { startAt: new Date(Date.now() - 60_000).toISOString(), endAt: new Date(Date.now() + 3_600_000).toISOString() },
    sendRate: 100,
  });
  expect(created.status).toBe(202);
  const id = created.body.id as string;
  const task = await eventually(
    async () => (await call('GET', `/tasks?entityType=campaign&entityId=${id}&status=open`, tokens.approver)).body.items[0],
    'the approval task',
  );
  expect((await call('POST', `/tasks/${task.id}/complete`, tokens.approver, { decision: 'approve' })).status).toBe(200);

  const ours = () => sink.messages().filter((m) => m.subject === `Drain ${tag}`);
  await eventually(async () => ours().length >= 60 && true, 'a fifth of the sends', 60_000);
  const termAt = Date.now();
  const talkingAtTerm = sink.inFlight();
  child.child.kill('SIGTERM');
  const exit = await child.exited;
  const exitedAt = Date.now();
  const sentAtTerm = ours().filter((m) => m.acceptedAt <= termAt).length;
  const drained = ours().filter((m) => m.acceptedAt > termAt).length;
  // The attempt failed on purpose, saying where the pass resumes; Temporal retries it on another worker.
  const [pending] = (await client.workflow.getHandle(`campaign:${id}`).describe()).raw.pendingActivities ?? [];
  const handOff = pending?.lastFailure?.message ?? '(no failed attempt)';
  const details = pending?.heartbeatDetails?.payloads?.[0];
  const heartbeated = details ? defaultPayloadConverter.fromPayload<{ cursor: number }>(details).cursor : null;
  console.log(
    `SIGTERM drain: exit ${exit.code} after ${exitedAt - termAt} ms; ${talkingAtTerm} transfer(s) under way at ` +
      `SIGTERM, ${drained} accepted after it, ${sentAtTerm} before; the attempt: ${handOff}`,
  );
  expect(exit).toEqual({ code: 0, signal: null });
  expect(exitedAt - termAt).toBeLessThan(5000);
  // Only the transfers holding one of the pooled SMTP connections finish (and one that took a freed connection in the
  // few milliseconds the signal takes to reach the activity); nothing new starts. Before: 240 more, for 8.4 s.
  expect(drained).toBeLessThanOrEqual(SMTP_CONNECTIONS + 2);
  expect(sentAtTerm + drained).toBeLessThan(300);
  expect(handOff).toMatch(/^the worker is shutting down: \d+ send\(s\) .* the pass resumes after position \d+$/);
  // The next attempt resumes after every send the sink accepted, each of them recorded.
  expect(heartbeated).toBe(sentAtTerm + drained);

  await startWorker();
  await eventually(async () => tally(ours()).size === 300 && true, 'every recipient', 60_000);
  const live = await eventually(
    async () => {
      const body = (await call('GET', `/campaigns/${id}`, tokens.owner)).body;
      return body.counts.sent === 300 && body.counts.pending === 0 && body;
    },
    'the ledger complete',
    30_000,
  );
  expect(live.stage).toBe('running');
  await new Promise((r) => setTimeout(r, 1000));
  // A drained worker leaves no send half done: exactly one email per recipient, none lost, none repeated.
  const byRecipient = tally(ours());
  expect(people.filter((p) => !byRecipient.has(p.email))).toEqual([]);
  expect([...byRecipient.values()].filter((e) => e.messages !== 1 || e.ids.size !== 1)).toEqual([]);
  expect(ours()).toHaveLength(300);
}, 150_000);

test('Temporal restarted during event ingest and task completions: events still stored and answered 202, decisions 503 with Retry-After within about a second while it is down; every event delivered once it is back, no decision applied twice', async () => {
  const tag = `tr-${randomUUID().slice(0, 8)}`;
  const customers = await importCustomers(tag, 20);
  const tasks = await openReviewTasks(tag, 12);
  const ingest = ingestLoad(
    tag,
    customers.map((c) => c.external_id),
    100,
  );
  const completions = completionLoad(tasks, 400);
  await sleep(1500);
  await temporal.stop();
  const stoppedAt = Date.now();
  await sleep(1000);
  // The ingest status reads PostgreSQL: it answers, without Temporal's backlog, at once.
  const statusAsked = Date.now();
  const statusDown = await call('GET', '/events/ingest-status', tokens.ingest);
  const statusMs = Date.now() - statusAsked;
  await sleep(2000);
  const restartAt = Date.now();
  await temporal.start();
  const upAt = Date.now();
  await completions.done();
  await sleep(1000);
  await ingest.stop();

  const eventAnswers = ingest.items.flatMap((e) => e.answers);
  const taskAnswers = completions.items.flatMap((d) => d.answers);
  // Asked while the server was down (it answers again about a second after restartAt).
  const down = (a: Answer) => a.start >= stoppedAt && a.start < restartAt;
  console.log(
    `Temporal restart: down ${restartAt - stoppedAt} ms, back ${upAt - restartAt} ms after the start; while down: ` +
      `POST /events ${summary(eventAnswers.filter(down))}; POST /tasks/:id/complete ${summary(taskAnswers.filter(down))}; ` +
      `overall: POST /events ${summary(eventAnswers)}; POST /tasks/:id/complete ${summary(taskAnswers)}`,
  );

  // While Temporal is down: ingest does not need it (stored, answered 202, delivered later); a decision gets an honest
  // 503 with Retry-After, at once, not a 503 or 504 after the 10 s deadline.
  expect(eventAnswers.filter(down).length).toBeGreaterThan(0);
  expect(
    eventAnswers
      .filter(down)
      .filter((a) => a.status !== 202 || a.end - a.start > FAST_ANSWER_MS)
      .map((a) => `${a.status} in ${a.end - a.start} ms`),
  ).toEqual([]);
  expect({
    status: statusDown.status,
    workflowTasks: statusDown.body.workflowTasks,
    undelivered: typeof statusDown.body.undelivered,
  }).toEqual({
    status: 200,
    workflowTasks: null,
    undelivered: 'number',
  });
  expect(statusMs).toBeLessThanOrEqual(FAST_ANSWER_MS);
  const whileDown = taskAnswers.filter(down);
  expect(whileDown.length).toBeGreaterThan(0);
  expect(
    whileDown
      .filter((a) => a.status !== 503 || !a.retryAfter || a.end - a.start > FAST_ANSWER_MS)
      .map((a) => `${a.status} in ${a.end - a.start} ms`),
  ).toEqual([]);
  // Around it (a call in flight when the server went away): never a 500, nothing past the 10 s deadline and a margin.
  expect(
    [...eventAnswers, ...taskAnswers]
      .filter((a) => a.status === 0 || a.status === 500 || a.end - a.start > 11_000)
      .map((a) => `${a.status} in ${a.end - a.start} ms`),
  ).toEqual([]);

  // Every event ends up acknowledged (the clients repeat until 2xx), stored once and in its customer's lifecycle.
  expect(ingest.items.filter((e) => !e.answers.some(ok)).map((e) => e.item.key)).toEqual([]);
  const keys = ingest.items.map((e) => e.item.key);
  const stored = await db.orm.em
    .getConnection()
    .execute<{ idempotency_key: string }[]>('select idempotency_key from customer_events where idempotency_key like ?', [`${tag}-e%`]);
  expect(stored.map((r) => r.idempotency_key).sort()).toEqual([...keys].sort());
  // Delivered in the background once Temporal is back: the API's wakes are repeated until they go through, and a
  // dispatcher whose pass failed in the outage retries it (its heartbeat times out within 30 s at worst).
  const cursor = ingest.items.flatMap((e) => e.answers.filter(ok).map((a) => BigInt(a.body.cursor))).reduce((a, b) => (a > b ? a : b));
  const deliveredAfter = Date.now();
  await eventually(
    async () => (await call('GET', `/events/ingest-status?cursor=${cursor}`, tokens.ingest)).body.cursor?.delivered === true,
    'every acknowledged event delivered',
    60_000,
  );
  console.log(`after the restart: every acknowledged event delivered ${Date.now() - deliveredAfter} ms after the load ended`);
  const undelivered = await db.orm.em
    .getConnection()
    .execute<{ idempotency_key: string }[]>(
      'select idempotency_key from customer_events where idempotency_key like ? and delivered_at is null',
      [`${tag}-e%`],
    );
  expect(undelivered).toEqual([]);
  // The lifecycles' histories (kept across the restart) hold every key; a repeated delivery is ignored by the key.
  // Eventually, not at once: a signal that arrives while a workflow task is started is buffered by the server and
  // written to the history only when that task completes. A task started by the worker just before the restart is
  // answered to a server that is gone, so it completes only after its timeout (10 s) and a retry; until then the
  // acknowledged events are in the execution's state but not in the history this reads (the finding the previous
  // version of this check quarantined: "an acknowledged event absent from its lifecycle's history").
  const lookedAt = Date.now();
  const missingNow = async () => {
    const signalled = new Set((await Promise.all(customers.map((c) => keysSignalled(c.id)))).flat());
    return ingest.items.filter((e) => !signalled.has(e.item.key)).map((e) => e.item);
  };
  let missing = await missingNow();
  const firstLook = missing.length;
  // The workflow task states of the lifecycles concerned (STARTED: their signals are buffered behind it).
  const tasksAtFirstLook = await Promise.all(
    [...new Set(missing.map((m) => m.externalId))].map(async (externalId) => {
      const id = customerLifecycleId(customers.find((c) => c.external_id === externalId)!.id);
      return (await client.workflow.getHandle(id).describe()).raw.pendingWorkflowTask?.state ?? 'none';
    }),
  );
  while (missing.length && Date.now() - lookedAt < 30_000) {
    await sleep(250);
    missing = await missingNow();
  }
  console.log(
    `after the restart: ${firstLook} acknowledged event(s) not yet in their history at the first look, ` +
      `(workflow tasks: ${tasksAtFirstLook.join(', ') || '-'}), ${missing.length} after ${Date.now() - lookedAt} ms`,
  );
  // Should one stay missing, show its lifecycle's runs and any workflow task still pending.
  const detail = async (externalId: string) => {
    const id = customerLifecycleId(customers.find((c) => c.external_id === externalId)!.id);
    const runs: string[] = [];
    for await (const r of client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(`${r.runId} ${r.status.name}`);
    return { id, runs, pendingTask: (await client.workflow.getHandle(id).describe()).raw.pendingWorkflowTask ?? null };
  };
  expect(
    missing.length ? { missing, lifecycles: await Promise.all([...new Set(missing.map((m) => m.externalId))].map(detail)) } : 'none',
  ).toEqual('none');

  await expectDecidedOnce(completions.items);
}, 180_000);

test('PostgreSQL refusing connections during event ingest: 503 with Retry-After, never 500; every event acknowledged is stored', async () => {
  const tag = `db-${randomUUID().slice(0, 8)}`;
  const customers = await importCustomers(tag, 20);
  const ingest = ingestLoad(
    tag,
    customers.map((c) => c.external_id),
    50,
  );
  await sleep(1500);
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  const name = new URL(db.url).pathname.slice(1);
  await admin.query(`alter database ${name} allow_connections false`);
  await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
  const refusedAt = Date.now();
  await sleep(3000);
  const allowedAt = Date.now();
  await admin.query(`alter database ${name} allow_connections true`);
  await admin.end();
  await sleep(2000);
  await ingest.stop();

  const answers = ingest.items.flatMap((e) => e.answers);
  const refused = answers.filter((a) => a.start >= refusedAt && a.end <= allowedAt);
  console.log(
    `PostgreSQL refusing connections for ${allowedAt - refusedAt} ms: POST /events while refused: ${summary(refused)}; ` +
      `overall: ${summary(answers)}`,
  );
  expect(refused.length).toBeGreaterThan(0);
  expect(refused.filter((a) => a.status !== 503 || !a.retryAfter).map((a) => `${a.status}: ${JSON.stringify(a.body)}`)).toEqual([]);
  expect(answers.filter((a) => !ok(a) && a.status !== 503).map((a) => `${a.status}: ${JSON.stringify(a.body)}`)).toEqual([]);

  // Every event was acknowledged in the end (the clients repeat until 2xx), and each acknowledged one is stored once.
  expect(ingest.items.filter((e) => !e.answers.some(ok)).map((e) => e.item.key)).toEqual([]);
  const stored = await eventually(
    () =>
      db.orm.em
        .getConnection()
        .execute<{ idempotency_key: string }[]>('select idempotency_key from customer_events where idempotency_key like ?', [`${tag}-e%`]),
    'the database back',
  );
  expect(stored.map((r) => r.idempotency_key).sort()).toEqual(ingest.items.map((e) => e.item.key).sort());
}, 120_000);

test('the API SIGKILLed during task completions: every decision answered 2xx is applied once, a repeated one answers 409', async () => {
  const tag = `api-${randomUUID().slice(0, 8)}`;
  const tasks = await openReviewTasks(tag, 16);
  const completions = completionLoad(tasks, 150);
  await eventually(async () => completions.items.filter((d) => d.answers.some(ok)).length >= 4 && true, 'a few decisions');
  api.child.kill('SIGKILL');
  const killedAt = Date.now();
  await api.exited;
  await startApi();
  const backAt = Date.now();
  await completions.done();

  const answers = completions.items.flatMap((d) => d.answers);
  const cut = completions.items.filter((d) => d.answers.some((a) => a.status === 0)).length;
  console.log(
    `API SIGKILL: back ${backAt - killedAt} ms later; ${cut} decision(s) cut off or refused while it was down; ` +
      `answers: ${summary(answers)}`,
  );
  // No answer only while the API was down; otherwise 200, or 409 repeating a decision that had been applied.
  expect(answers.filter((a) => a.status === 0 && (a.end < killedAt - 1000 || a.start > backAt))).toEqual([]);
  expect(answers.filter((a) => ![0, 200, 409].includes(a.status)).map((a) => `${a.status}: ${JSON.stringify(a.body)}`)).toEqual([]);
  await expectDecidedOnce(completions.items);
}, 120_000);
