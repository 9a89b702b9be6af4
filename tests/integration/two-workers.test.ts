// Two worker processes (`node worker/main.ts` twice) on one task queue, against one Temporal dev server, one
// PostgreSQL database and one SMTP sink, with the API as a process of its own: a campaign and a stream of customer
// events run on both at once. Each recipient gets one email, each event is applied to its lifecycle once, and both
// workers do a share of the work, counted from the identities (`<pid>@<host>`) Temporal records in the histories.
// Then one worker is SIGKILLed mid-stream and the other finishes, still once each. The send pass's own worker killed
// mid-send (its claims wait out a one-minute lease) is campaign-crash.test.ts.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { customerLifecycleId } from '../../domain/ids.ts';
import { recordEvents } from '../../workflows/lifecycle.messages.ts';
import type { EventsSignal, LifecycleView } from '../../domain/lifecycle.types.ts';
import { startProcessStack, tally, type Proc, type ProcessStack, type SmtpSink } from '../support/processes.ts';
import { eventually } from '../support/wait.ts';

const CUSTOMERS = 40;
const RECIPIENTS = 200;
let stack: ProcessStack;
let sink: SmtpSink;
let client: Client;
let adminToken: string;
let workers: Proc[] = [];
const tokens: Record<'owner' | 'approver' | 'ingest', string> = {} as never;
/** The lifecycle customers, with the event keys and purchase amounts posted for each so far. */
let customers: { id: string; email: string; keys: string[]; gmv: number }[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Laps for the log line: where the time of a test goes. */
function stopwatch() {
  const start = Date.now();
  let last = start;
  const laps: string[] = [];
  return {
    lap(what: string) {
      const now = Date.now();
      laps.push(`${what} ${now - last} ms`);
      last = now;
    },
    toString: () => `${Date.now() - start} ms (${laps.join(', ')})`,
  };
}
/** The identity the SDK gives a worker by default, and the one Temporal records for its tasks. */
const identityOf = (p: Proc) => `${p.child.pid}@${hostname()}`;

const call: ProcessStack['call'] = (...args) => stack.call(...args);

/** `n` customers with these tags, created through the API; their ids and addresses. */
async function importCustomers(prefix: string, n: number, extra: { tags?: string[]; marketingConsent?: boolean }) {
  const people = Array.from({ length: n }, (_, i) => ({ externalId: `${prefix}-${i}`, email: `${prefix}-${i}@example.com`, ...extra }));
  const res = await call('POST', '/customers', tokens.ingest, { customers: people });
  expect(res.status).toBe(200);
  const ids = new Map((res.body.items as { id: string; externalId: string }[]).map((c) => [c.externalId, c.id]));
  return people.map((p) => ({ id: ids.get(p.externalId)!, email: p.email }));
}

/** A campaign to everyone tagged `tag`, approved; its id and workflow id. */
async function launchCampaign(tag: string, subject: string, sendRate: number): Promise<{ id: string; workflowId: string }> {
  const created = await call('POST', '/campaigns', tokens.owner, {
    name: `Two workers ${tag}`,
    budget: { total: 1000, currency: 'USD', costPerSend: 0.01 },
    audience: { filters: { tags: [tag] } },
    message: { subject, body: 'Hello {{email}}' },
    schedule: { startAt: new Date(Date.now() - 60_000).toISOString(), endAt: new Date(Date.now() + 3_600_000).toISOString() },
    sendRate,
  });
  expect(created.status).toBe(202);
  const { id, workflowId } = created.body as { id: string; workflowId: string };
  const task = await eventually(
    async () => (await call('GET', `/tasks?entityType=campaign&entityId=${id}&status=open`, tokens.approver)).body.items[0],
    'the approval task',
    30_000,
  );
  expect((await call('POST', `/tasks/${task.id}/complete`, tokens.approver, { decision: 'approve' })).status).toBe(200);
  return { id, workflowId };
}

type Event = { customerId: string; type: string; at: string; amount?: number; idempotencyKey: string };

/**
 * Posts `events` in batches of `batch`, one batch every `everyMs` (a stream, not one import), repeating a batch until it
 * is answered 2xx; every `repeatEvery`th batch is sent twice, as a client that did not see the first answer would.
 * With the synchronous POST the events are in their lifecycles on return, with the asynchronous one later: callers
 * wait on the lifecycles either way.
 */
async function stream(events: Event[], { batch, everyMs, repeatEvery }: { batch: number; everyMs: number; repeatEvery: number }) {
  const posts: Promise<void>[] = [];
  for (let i = 0, n = 0; i < events.length; i += batch, n += 1) {
    const body = { events: events.slice(i, i + batch) };
    const post = async () => {
      for (const until = Date.now() + 60_000; ;) {
        const res = await call('POST', '/events', tokens.ingest, body);
        if (res.status >= 200 && res.status < 300) return;
        if (Date.now() > until) throw new Error(`POST /events kept failing: ${res.status} ${JSON.stringify(res.body)}`);
        await sleep(500);
      }
    };
    posts.push(post());
    if (n % repeatEvery === repeatEvery - 1) posts.push(post());
    await sleep(everyMs);
  }
  await Promise.all(posts);
}

/** For each customer, `count` events after `from`: logins, a key action and a purchase (amounts in whole cents). */
function eventsFor(round: string, from: number, count: number): Event[] {
  const out: Event[] = [];
  for (let k = 0; k < count; k += 1) {
    customers.forEach((c, i) => {
      const type = k === 1 ? 'key_action' : k === count - 1 ? 'purchase' : 'login';
      const amount = type === 'purchase' ? 10 + i + k / 100 : undefined;
      const e: Event = {
        customerId: c.id,
        type,
        at: new Date(from + k * 1000 + i).toISOString(),
        idempotencyKey: `${round}-${i}-${k}`,
        ...(amount === undefined ? {} : { amount }),
      };
      c.keys.push(e.idempotencyKey);
      if (amount !== undefined) c.gmv = Math.round((c.gmv + amount) * 100) / 100;
      out.push(e);
    });
  }
  return out; // round by round: each customer's events interleave with everyone else's
}

/**
 * Waits until every lifecycle has applied all of its customer's events (and whatever `done` adds); their views.
 */
async function lifecyclesCaughtUp(
  timeoutMs: number,
  done: (view: LifecycleView) => boolean = () => true,
): Promise<Map<string, LifecycleView>> {
  const views = new Map<string, LifecycleView>();
  /** Each customer's last answer other than 200, for the message when one stays behind. */
  const refused = new Map<string, string>();
  const isDone = (c: (typeof customers)[number]) => {
    const view = views.get(c.id);
    return view !== undefined && view.counters.events === c.keys.length && done(view);
  };
  await eventually(
    async () => {
      await Promise.all(
        customers
          .filter((c) => !isDone(c))
          .map(async (c) => {
            const res = await call('GET', `/customers/${c.id}/lifecycle`, adminToken);
            if (res.status === 200) views.set(c.id, res.body as LifecycleView);
            else refused.set(c.id, `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
          }),
      );
      return customers.every(isDone);
    },
    'every event in its lifecycle',
    timeoutMs,
  ).catch(async (err: Error) => {
    const behind = await Promise.all(
      customers
        .filter((c) => !isDone(c))
        .slice(0, 3)
        .map(async (c) => {
          const view = views.get(c.id);
          return (
            `${c.id}: ${view?.counters.events ?? 'none'} of ${c.keys.length} events` +
            (view
              ? `, sent ${view.counters.sent}, messages ${JSON.stringify(view.messages)}, pending ${JSON.stringify(view.pendingSends)}`
              : '') +
            (refused.has(c.id) ? `, last refusal ${refused.get(c.id)}` : '') +
            `; workflow ${await workflowState(customerLifecycleId(c.id))}`
          );
        }),
    );
    const count = customers.filter((c) => !isDone(c)).length;
    throw new Error(`${err.message}; ${count} behind: ${behind.join('; ')}`);
  });
  return views;
}

/** What Temporal says of a workflow that stayed behind: its status, its pending task and its failed tasks. */
async function workflowState(workflowId: string): Promise<string> {
  try {
    const handle = client.workflow.getHandle(workflowId);
    const { status, historyLength, raw } = await handle.describe();
    const failures: string[] = [];
    const events = (await handle.fetchHistory()).events ?? [];
    for (const e of events) {
      const failed = e.workflowTaskFailedEventAttributes ?? e.workflowTaskTimedOutEventAttributes;
      if (failed) failures.push(`#${e.eventId} ${JSON.stringify(failed).slice(0, 200)}`);
    }
    return (
      `${status.name}, ${historyLength} events, pending task ${JSON.stringify(raw.pendingWorkflowTask ?? null)}, ` +
      `failed or timed-out tasks: ${failures.slice(-3).join(' | ') || 'none'}; last events: ${events.slice(-30).map(describeEvent).join(' ')}`
    );
  } catch (e) {
    return `not described: ${(e as Error).message}`;
  }
}

/** One history event in a few words: its id, its type and what it names (a timer, a worker, a marker). */
function describeEvent(e: temporal.api.history.v1.IHistoryEvent): string {
  const type = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]) ?? '?';
  const attrs = (e as Record<string, Record<string, unknown> | undefined>)[type] ?? {};
  const named = ['timerId', 'startedEventId', 'scheduledEventId', 'identity', 'markerName', 'signalName', 'cause']
    .filter((k) => attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== '')
    .map((k) => `${k}=${String(attrs[k])}`);
  return `#${String(e.eventId)}:${type.replace(/EventAttributes$/, '')}${named.length ? `(${named.join(',')})` : ''}`;
}

/** Event keys a lifecycle was signalled with, over all its runs (a key may arrive twice; it is applied once). */
async function keysSignalled(customerId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${customerLifecycleId(customerId)}'` })) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const signal = e.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName !== recordEvents.name) continue;
      keys.push(...defaultPayloadConverter.fromPayload<EventsSignal>(signal.input!.payloads![0]!).events.map((ev) => ev.key));
    }
  }
  return keys;
}

interface Work {
  /** Workflow tasks completed, by worker identity. */
  workflowTasks: Map<string, number>;
  /** Activity attempts started, by worker identity and activity type. */
  activities: Map<string, Map<string, number>>;
  /** Workflow executions in which each identity completed at least one task, by workflow id. */
  touched: Map<string, Set<string>>;
}

/** Who did what, from every history on this test's own server; `since` counts only events recorded after it. */
async function workByIdentity(since = 0): Promise<Work> {
  const work: Work = { workflowTasks: new Map(), activities: new Map(), touched: new Map() };
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const runs: { workflowId: string; runId: string }[] = [];
  for await (const run of client.workflow.list()) runs.push({ workflowId: run.workflowId, runId: run.runId });
  await Promise.all(
    runs.map(async ({ workflowId, runId }) => {
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      const scheduled = new Map<string, string>();
      for (const e of history.events ?? []) {
        const at = Number(String(e.eventTime?.seconds ?? 0)) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
        const activity = e.activityTaskScheduledEventAttributes;
        if (activity) scheduled.set(String(e.eventId), activity.activityType?.name ?? '?');
        if (at < since) continue;
        const completed = e.workflowTaskCompletedEventAttributes;
        if (completed?.identity) {
          add(work.workflowTasks, completed.identity);
          work.touched.set(workflowId, (work.touched.get(workflowId) ?? new Set()).add(completed.identity));
        }
        const started = e.activityTaskStartedEventAttributes;
        if (started?.identity) {
          const byType = work.activities.get(started.identity) ?? new Map<string, number>();
          add(byType, scheduled.get(String(started.scheduledEventId)) ?? '?');
          work.activities.set(started.identity, byType);
        }
      }
    }),
  );
  return work;
}

const activityCount = (work: Work, identity: string, type?: string) =>
  [...(work.activities.get(identity) ?? new Map<string, number>()).entries()]
    .filter(([t]) => !type || t === type)
    .reduce((s, [, n]) => s + n, 0);

function describeWork(work: Work, names: Map<string, string>): string {
  return [...names.entries()]
    .map(
      ([identity, name]) =>
        `${name} (${identity}): ${work.workflowTasks.get(identity) ?? 0} workflow tasks, ` +
        `${activityCount(work, identity)} activities (${[...(work.activities.get(identity) ?? new Map()).entries()].map(([t, n]) => `${t} ${n}`).join(', ')})`,
    )
    .join('; ');
}

beforeAll(async () => {
  const clock = stopwatch();
  stack = await startProcessStack({ name: 'two-workers', smtpDelayMs: 5 });
  ({ sink, client, adminToken } = stack);
  const [, ...started] = await Promise.all([
    // Three processes starting at once (two of them bundling the workflows) on 2 shared cores: up to 3 minutes.
    stack.startApi(180_000),
    stack.startWorker(180_000),
    stack.startWorker(180_000),
  ]);
  workers = started;
  clock.lap('Temporal, PostgreSQL, the API and two workers up');

  tokens.owner = await stack.operator(['ops_manager']);
  tokens.approver = await stack.operator(['ops_manager']);
  tokens.ingest = await stack.operator(['ingest']);
  expect((await call('PUT', '/policies/messaging', tokens.owner, { frequencyCap: null, quietHours: null })).status).toBe(200);
  customers = (await importCustomers(`life-${randomUUID().slice(0, 8)}`, CUSTOMERS, {})).map((c) => ({ ...c, keys: [], gmv: 0 }));
  console.log(`two workers: set up in ${clock}`);
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

test('a campaign and an event stream on two workers at once: one email per recipient, each event applied once, both workers busy', async () => {
  const clock = stopwatch();
  const tag = `camp-${randomUUID().slice(0, 8)}`;
  const subject = `Two workers ${tag}`;
  const recipients = await importCustomers(tag, RECIPIENTS, { tags: [tag], marketingConsent: true });
  const campaign = await launchCampaign(tag, subject, 40);
  clock.lap('campaign approved');

  // Meanwhile: every lifecycle customer signs up (a welcome email each), then logs in, acts and buys.
  const signups: Event[] = customers.map((c, i) => {
    c.keys.push(`signup-${i}`);
    return { customerId: c.id, type: 'signup', at: new Date(Date.now() - 600_000 + i).toISOString(), idempotencyKey: `signup-${i}` };
  });
  await stream(signups, { batch: 8, everyMs: 100, repeatEvery: 3 });
  await stream(eventsFor('a', Date.now() - 500_000, 5), { batch: 10, everyMs: 100, repeatEvery: 4 });
  clock.lap('events posted');
  // Caught up once each has its events and its welcome settled.
  const views = await lifecyclesCaughtUp(120_000, (v) => v.counters.sent + v.counters.skipped + v.counters.deferred > 0);
  clock.lap('lifecycles caught up');

  const ours = () => sink.messages().filter((m) => m.subject === subject);
  await eventually(async () => tally(ours()).size === RECIPIENTS && true, 'every recipient', 60_000);
  const live = await eventually(
    async () => {
      const body = (await call('GET', `/campaigns/${campaign.id}`, tokens.owner)).body;
      return body.counts.sent === RECIPIENTS && body.counts.pending === 0 && body;
    },
    'the ledger complete',
    30_000,
  );
  expect(live.stage).toBe('running');
  clock.lap('campaign sent');
  const welcomes = () => sink.messages().filter((m) => customers.some((c) => m.to.includes(c.email)));
  await sleep(1000); // nothing more arrives late

  // Exactly once at the sink: one email per campaign recipient, one welcome per signed-up customer.
  const byRecipient = tally(ours());
  expect(recipients.filter((r) => !byRecipient.has(r.email)).map((r) => r.email)).toEqual([]);
  expect([...byRecipient.entries()].filter(([, e]) => e.messages !== 1 || e.ids.size !== 1).map(([to]) => to)).toEqual([]);
  expect(ours()).toHaveLength(RECIPIENTS);
  const welcomed = tally(welcomes());
  expect(customers.filter((c) => welcomed.get(c.email)?.messages !== 1).map((c) => c.email)).toEqual([]);

  // Every event applied once: the count of events and the money (a purchase applied twice would double it).
  for (const c of customers) {
    const view = views.get(c.id)!;
    expect({
      customer: c.id,
      events: view.counters.events,
      purchases: view.counters.purchases,
      gmv: view.counters.gmv,
      funnel: view.funnel,
      sent: view.counters.sent,
    }).toEqual({ customer: c.id, events: c.keys.length, purchases: 1, gmv: c.gmv, funnel: 'monetized', sent: 1 });
  }
  // ...and every key reached its lifecycle (the repeated batches may have signalled some twice: ignored by the key).
  const signalled = await Promise.all(customers.map(async (c) => ({ c, keys: new Set(await keysSignalled(c.id)) })));
  expect(signalled.flatMap(({ c, keys }) => c.keys.filter((k) => !keys.has(k)))).toEqual([]);

  // Both workers did a share: workflow tasks, lifecycles, activities, welcome emails.
  const work = await workByIdentity();
  const names = new Map(workers.map((w, i) => [identityOf(w), `worker ${i + 1}`]));
  const totalTasks = [...work.workflowTasks.values()].reduce((s, n) => s + n, 0);
  const lifecyclesBy = (identity: string) => customers.filter((c) => work.touched.get(customerLifecycleId(c.id))?.has(identity)).length;
  console.log(
    `two workers, ${RECIPIENTS} recipients and ${customers.reduce((s, c) => s + c.keys.length, 0)} events to ${CUSTOMERS} lifecycles ` +
      `in ${clock}: ${describeWork(work, names)}; lifecycles touched: ${[...names].map(([id, n]) => `${n} ${lifecyclesBy(id)}`).join(', ')}; ` +
      `campaign send pass on ${[...names]
        .filter(([id]) => activityCount(work, id, 'sendCampaignPass') > 0)
        .map(([, n]) => n)
        .join(', ')} (${RECIPIENTS} emails); welcome emails: ` +
      [...names].map(([id, n]) => `${n} ${activityCount(work, id, 'sendCustomerEmail')}`).join(', '),
  );
  expect([...work.workflowTasks.keys()].filter((id) => !names.has(id))).toEqual([]);
  for (const identity of names.keys()) {
    expect({ identity, share: (work.workflowTasks.get(identity) ?? 0) / totalTasks >= 0.2 }).toEqual({ identity, share: true });
    expect({ identity, lifecycles: lifecyclesBy(identity) >= CUSTOMERS / 5 }).toEqual({ identity, lifecycles: true });
    expect({ identity, activities: activityCount(work, identity) >= 10 }).toEqual({ identity, activities: true });
  }
}, 240_000);

test('one worker SIGKILLed mid-stream: the other takes over its lifecycles and finishes, each email and event once', async () => {
  const clock = stopwatch();
  const tag = `kill-${randomUUID().slice(0, 8)}`;
  const subject = `Two workers ${tag}`;
  const recipients = await importCustomers(tag, RECIPIENTS, { tags: [tag], marketingConsent: true });
  const campaign = await launchCampaign(tag, subject, 20);
  const ours = () => sink.messages().filter((m) => m.subject === subject);
  // The worker that does not hold the send pass dies (the pass's own worker is campaign-crash.test.ts); both have
  // lifecycles in their caches from the first test.
  const holder = await eventually(
    async () => {
      const pending = (await client.workflow.getHandle(campaign.workflowId).describe()).raw.pendingActivities ?? [];
      return pending.find((a) => a.activityType?.name === 'sendCampaignPass' && a.lastWorkerIdentity)?.lastWorkerIdentity ?? undefined;
    },
    'the send pass started',
    30_000,
  );
  const victim = workers.find((w) => identityOf(w) !== holder)!;
  const survivor = workers.find((w) => w !== victim)!;
  expect(identityOf(survivor)).toBe(holder);
  await eventually(async () => ours().length >= 20 && true, 'the first sends', 30_000);
  clock.lap('campaign sending');

  // The next round, with the kill in the middle of it and of the campaign.
  const streaming = stream(eventsFor('c', Date.now() - 100_000, 3), { batch: 10, everyMs: 100, repeatEvery: 4 });
  await sleep(300);
  const sentAtKill = ours().length;
  victim.child.kill('SIGKILL');
  await victim.exited;
  const killedAt = Date.now();
  await streaming;
  expect(sentAtKill).toBeLessThan(RECIPIENTS);
  clock.lap('round c posted');

  // A task sticky to the dead worker goes back to the shared queue after its schedule-to-start timeout (10 s); one it
  // had started times out (10 s); its database activities after their 15 s start-to-close timeout.
  const views = await lifecyclesCaughtUp(90_000);
  const caughtUpAt = Date.now();
  clock.lap('lifecycles caught up');
  await eventually(async () => tally(ours()).size === RECIPIENTS && true, 'every recipient', 60_000);
  await eventually(
    async () => {
      const body = (await call('GET', `/campaigns/${campaign.id}`, tokens.owner)).body;
      return body.counts.sent === RECIPIENTS && body.counts.pending === 0 && body;
    },
    'the ledger complete',
    30_000,
  );
  clock.lap('campaign sent');
  await sleep(1000);

  const byRecipient = tally(ours());
  expect(recipients.filter((r) => !byRecipient.has(r.email)).map((r) => r.email)).toEqual([]);
  expect([...byRecipient.entries()].filter(([, e]) => e.messages !== 1 || e.ids.size !== 1).map(([to]) => to)).toEqual([]);
  expect(ours()).toHaveLength(RECIPIENTS);
  // No lifecycle email came twice either (the welcomes were all sent in the first test, none since).
  const welcomed = tally(sink.messages().filter((m) => customers.some((c) => m.to.includes(c.email))));
  expect(customers.filter((c) => welcomed.get(c.email)?.messages !== 1).map((c) => c.email)).toEqual([]);
  for (const c of customers) {
    const view = views.get(c.id)!;
    expect({ customer: c.id, events: view.counters.events, purchases: view.counters.purchases, gmv: view.counters.gmv }).toEqual({
      customer: c.id,
      events: c.keys.length,
      purchases: 2,
      gmv: c.gmv,
    });
  }

  // After the kill only the survivor worked, and it took over lifecycles the dead one had been running.
  const after = await workByIdentity(killedAt + 1000);
  const all = await workByIdentity();
  const taken = customers.filter((c) => {
    const id = customerLifecycleId(c.id);
    return all.touched.get(id)?.has(identityOf(victim)) && after.touched.get(id)?.has(identityOf(survivor));
  }).length;
  const names = new Map([
    [identityOf(survivor), 'survivor'],
    [identityOf(victim), 'killed'],
  ]);
  console.log(
    `SIGKILL of the worker without the send pass (${sentAtKill} of ${RECIPIENTS} sent then): ${clock}; every event ` +
      `applied ${caughtUpAt - killedAt} ms after the kill; since: ${describeWork(after, names)}; lifecycles the survivor took over: ${taken}`,
  );
  expect(after.workflowTasks.get(identityOf(victim)) ?? 0).toBe(0);
  expect(after.workflowTasks.get(identityOf(survivor)) ?? 0).toBeGreaterThan(0);
  expect(taken).toBeGreaterThan(0);
}, 240_000);
