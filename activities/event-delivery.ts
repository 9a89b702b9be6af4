// Hands stored customer events to their lifecycle workflows (signal-with-start) and marks them delivered: each event
// shard's dispatcher workflow runs `dispatchShardEvents`, and the redelivery sweep delivers a shard whose dispatcher
// has fallen silent. A shard lease keeps one of them on a shard at a time, so a customer's events go out in order.
import { Context, sleep } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import {
  markDelivered,
  releaseShardLease,
  shardsWithOldEvents,
  takeShardLease,
  undeliveredOfShard,
  type StoredEvent,
} from '../db/event-ingest.ts';
import { segmentPage, unconfirmedUnsubscriptions } from '../db/customers.ts';
import { foldDeferredKpiEvents } from '../db/kpi-rollups.ts';
import type { Orm } from '../db/orm.ts';
import { readSetting, SETTINGS } from '../db/settings.ts';
import { dispatcherTaskQueue, eventDispatcherId, wakeDispatcher, type EventDispatchInput } from '../workflows/event-dispatch.messages.ts';
import type { eventDispatcher } from '../workflows/event-dispatch.ts';
import { customerLifecycleId, unsubscribeConfirmationId } from '../domain/ids.ts';
import { overLimit } from './queue-backlog.ts';
import { queueBacklog } from '../runtime/queue-backlog.ts';
import type { unsubscribeConfirmation } from '../workflows/unsubscribe-confirmation.ts';
import { recordEvents, startWinBack } from '../workflows/lifecycle.messages.ts';
import type { customerLifecycle } from '../workflows/lifecycle.ts';
import { DEFAULT_LIFECYCLE_POLICY, type EventsSignal, type LifecyclePolicy, type WinBackRequest } from '../domain/lifecycle.types.ts';

/**
 * Events per signal: far below Temporal's 2 MB request limit, and at most half the keys a lifecycle remembers (1,000):
 * a pass whose delivery was not recorded sends the same events again before any newer ones of that customer, so
 * they are still among the keys the lifecycle ignores.
 */
export const EVENTS_PER_SIGNAL = 500;
/** Signal-with-start calls in flight at once (a win-back fan-out). */
const PARALLEL_SIGNALS = 32;
/** Signals one shard's pass keeps in flight: with 8 shards at most 64 at once, whatever the backlog. */
const SHARD_SIGNALS = 8;
/** One pass: up to this many customers (one signal each) and events. */
const PASS = { customers: 256, perCustomer: EVENTS_PER_SIGNAL, events: 10_000 };
/** A pass marks what it delivered after every this many signals. */
const MARK_EVERY = 32;
/** A dispatcher activity returns after this long (its workflow calls it again), so its history stays short-lived. */
const DISPATCH_BUDGET_MS = 20_000;
/** A shard lease outlives its holder by this much at most (a crashed worker); renewed at every pass. */
const LEASE_MS = 60_000;

export interface DeliveryDeps {
  orm: Orm;
  temporal: Client;
  /** The main task queue: the lifecycles' (the dispatchers' own is dispatcherTaskQueue of it). */
  taskQueue: string;
  /** Wraps every signal (tests inject failures here). */
  call?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** True while Temporal is too far behind for more signals (the main queue's backlog); unset: never. */
  holdBack?: () => Promise<boolean>;
}

export interface PassResult {
  /** Events signalled and marked delivered. */
  delivered: number;
  /** Customers signalled. */
  customers: number;
  /** Customers whose signal failed: their events (and the rest of the pass) stay undelivered for the next pass. */
  failed: number;
  /** Undelivered events the pass found (0: the shard is empty). */
  found: number;
  /** The pass stopped early because Temporal was too far behind (deps.holdBack). */
  heldBack: boolean;
}

function signalOf(events: StoredEvent[], policy: LifecyclePolicy): EventsSignal {
  return {
    policyVersion: policy.version,
    events: events.map((e) => ({
      key: e.idempotency_key,
      type: e.type,
      at: new Date(e.at).toISOString(),
      ...(e.amount !== null ? { amount: Number(e.amount) } : {}),
      ...(e.campaign_id ? { campaignId: e.campaign_id } : {}),
    })),
  };
}

/**
 * One pass over a shard: its oldest undelivered events, one signal per customer (in id order), at most SHARD_SIGNALS
 * in flight. The first failed signal stops the pass from starting more (Temporal failing: back off, do not pile up).
 * The events of each accepted signal, and only those, are marked delivered as the pass goes (every MARK_EVERY
 * customers, and at its end), so a slow pass shows progress and a crash repeats little; `onSignal` runs after each
 * accepted signal (the activity heartbeats there).
 */
export async function deliverShardPass(
  deps: DeliveryDeps,
  shard: number,
  policy: LifecyclePolicy,
  onSignal?: () => void,
): Promise<PassResult> {
  const { orm, temporal, taskQueue } = deps;
  const call = deps.call ?? ((fn) => fn());
  const events = await undeliveredOfShard(orm, shard, PASS);
  const byCustomer = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const own = byCustomer.get(e.customer_id);
    if (own) own.push(e);
    else byCustomer.set(e.customer_id, [e]);
  }
  const queue = [...byCustomer.entries()];
  const result: PassResult = { delivered: 0, customers: 0, failed: 0, found: events.length, heldBack: false };
  // Marks run one after another; a failed one fails the pass (at its end), and the activity's retry sends again.
  let accepted: number[] = [];
  let marking: Promise<void> = Promise.resolve();
  const mark = () => {
    const ids = accepted;
    accepted = [];
    marking = marking.then(() => markDelivered(orm, ids));
    marking.catch(() => undefined); // handled at the end of the pass
  };
  let stop = false;
  await Promise.all(
    Array.from({ length: Math.min(SHARD_SIGNALS, queue.length) }, async () => {
      for (let next = queue.shift(); next && !stop; next = queue.shift()) {
        const [customerId, own] = next;
        if (deps.holdBack && (await deps.holdBack())) {
          result.heldBack = true;
          stop = true;
          return;
        }
        try {
          await call(() =>
            temporal.workflow.signalWithStart<typeof customerLifecycle, [EventsSignal]>('customerLifecycle', {
              workflowId: customerLifecycleId(customerId),
              taskQueue,
              args: [{ customerId, policy }],
              signal: recordEvents,
              signalArgs: [signalOf(own, policy)],
            }),
          );
        } catch {
          result.failed += 1;
          stop = true;
          return;
        }
        accepted.push(...own.map((e) => e.id));
        result.customers += 1;
        result.delivered += own.length;
        if (result.customers % MARK_EVERY === 0) mark();
        onSignal?.();
      }
    }),
  );
  mark();
  // Should a write fail, the activity retries and the same events go again: the lifecycle ignores their keys.
  await marking;
  return result;
}

/** Sums passes. */
const add = (a: PassResult, b: PassResult): PassResult => ({
  delivered: a.delivered + b.delivered,
  customers: a.customers + b.customers,
  failed: a.failed + b.failed,
  found: a.found + b.found,
  heldBack: b.heldBack,
});
const NONE: PassResult = { delivered: 0, customers: 0, failed: 0, found: 0, heldBack: false };
/**
 * A dispatcher that delivered something looks for more this long before it waits for a wake, every LINGER_POLL_MS:
 * longer than the API holds a shard's next wake back (500 ms, api/routes/events.ts), so an event stored just after
 * another does not wait for it.
 */
const LINGER_MS = 750;
const LINGER_POLL_MS = 50;
/** A held-back deliverer looks at the backlog again after this long. */
const HOLD_MS = 500;

/**
 * Passes over a shard under its lease until the shard is empty, `until` passes or `maxEvents` are delivered; a failed
 * signal throws (after marking what was accepted), so the caller's retry policy backs off. Null when another deliverer
 * holds the lease.
 */
async function deliverShard(
  deps: DeliveryDeps,
  shard: number,
  holder: string,
  opts: { until: number; maxEvents: number; lingerMs?: number; onSignal?: (passesBefore: PassResult) => void },
): Promise<(PassResult & { more: boolean }) | null> {
  if (!(await takeShardLease(deps.orm, shard, holder, LEASE_MS))) return null;
  try {
    const policy = await readSetting(deps.orm, SETTINGS.lifecyclePolicy, DEFAULT_LIFECYCLE_POLICY);
    let total = NONE;
    let lastFound = Date.now();
    for (;;) {
      // Temporal too far behind: the rest waits here, where a customer's events gather into one signal. The sweep (no
      // deadline) leaves it to the dispatcher, which looks again until its time is up.
      if (deps.holdBack && (await deps.holdBack())) {
        if (opts.until === Number.POSITIVE_INFINITY || Date.now() + HOLD_MS >= opts.until) return { ...total, heldBack: true, more: true };
        opts.onSignal?.(total);
        await sleep(HOLD_MS);
        continue;
      }
      const pass = await deliverShardPass(deps, shard, policy, () => opts.onSignal?.(total));
      total = add(total, pass);
      opts.onSignal?.(total);
      if (pass.failed)
        throw new Error(
          `shard ${shard}: ${pass.failed} customer lifecycle(s) could not be reached; ${total.delivered} event(s) delivered before`,
        );
      if (pass.found === 0) {
        // Events came: more may follow whose wake the API holds back (one per shard per half second). Look again for a
        // moment rather than wait for it.
        const linger = total.found > 0 && Date.now() - lastFound < (opts.lingerMs ?? 0) && Date.now() + LINGER_POLL_MS < opts.until;
        if (!linger) return { ...total, more: false };
        await sleep(LINGER_POLL_MS);
        continue;
      }
      lastFound = Date.now();
      if (Date.now() >= opts.until || total.delivered >= opts.maxEvents) return { ...total, more: true };
      if (!(await takeShardLease(deps.orm, shard, holder, LEASE_MS))) return { ...total, more: true }; // expired and taken
    }
  } finally {
    await releaseShardLease(deps.orm, shard, holder).catch(() => undefined); // else it expires
  }
}

/**
 * The KPI rollups' deferred events (db/kpi-rollups.ts), after a delivery run: stored events are what defers them, and
 * a run follows every store. A failure leaves them for the next run or reader, so it is logged, not thrown.
 */
async function foldDeferred(orm: Orm): Promise<void> {
  try {
    await foldDeferredKpiEvents(orm, { wait: false });
  } catch (err) {
    Context.current().log.warn('deferred KPI events not folded', { error: String(err) });
  }
}

/** Undelivered events older than this are the sweep's: younger ones are their dispatcher's. */
const SWEEP_AFTER_MS = 60_000;
/** Events the sweep delivers per shard per run (the dispatcher, woken after, takes the rest). */
const SWEEP_BATCH = 10_000;
const SWEEP_AFTER = '1 minute';

/** Customers a win-back run reads per page (and heartbeats after). */
const WINBACK_PAGE = 500;

export function createEventDeliveryActivities(given: DeliveryDeps) {
  const backlog = queueBacklog(given.temporal, given.taskQueue);
  const deps: DeliveryDeps = { holdBack: async () => overLimit(await backlog()), ...given };
  return {
    /**
     * A rule's start_winback: every customer now in the segment is asked to start a win-back, once per key (the rule and
     * its episode), so a retried or resumed run asks again harmlessly. Heartbeats its cursor (the last customer id) and
     * resumes after it.
     */
    async startWinBackForSegment(args: { segment: string; key: string; cause: string }): Promise<{ customers: number }> {
      const { orm, temporal, taskQueue } = deps;
      const policy = await readSetting(orm, SETTINGS.lifecyclePolicy, DEFAULT_LIFECYCLE_POLICY);
      let cursor = (Context.current().info.heartbeatDetails as { cursor: string; customers: number } | undefined) ?? {
        cursor: '00000000-0000-0000-0000-000000000000',
        customers: 0,
      };
      const request: WinBackRequest = { key: args.key, cause: args.cause };
      for (;;) {
        const page = await segmentPage(orm, args.segment, cursor.cursor, WINBACK_PAGE);
        if (page.length === 0) return { customers: cursor.customers };
        const queue = [...page];
        await Promise.all(
          Array.from({ length: Math.min(PARALLEL_SIGNALS, queue.length) }, async () => {
            for (let next = queue.shift(); next; next = queue.shift()) {
              const customerId = next.id;
              await temporal.workflow.signalWithStart<typeof customerLifecycle, [WinBackRequest]>('customerLifecycle', {
                workflowId: customerLifecycleId(customerId),
                taskQueue,
                args: [{ customerId, policy }],
                signal: startWinBack,
                signalArgs: [request],
              });
            }
          }),
        );
        cursor = { cursor: page.at(-1)!.id, customers: cursor.customers + page.length };
        Context.current().heartbeat(cursor);
      }
    },

    /**
     * Starts the confirmation email of every unsubscription the API could not start one for (Temporal unreachable, the
     * API gone); the workflow id is per unsubscription, so one already started is left as it is.
     */
    async confirmPendingUnsubscriptions(): Promise<{ started: number }> {
      const pending = await unconfirmedUnsubscriptions(deps.orm, SWEEP_AFTER, SWEEP_BATCH);
      let started = 0;
      for (const row of pending) {
        const input = { customerId: row.id, unsubscribedAt: new Date(row.unsubscribed_at).toISOString() };
        try {
          await deps.temporal.workflow.start<typeof unsubscribeConfirmation>('unsubscribeConfirmation', {
            workflowId: unsubscribeConfirmationId(input.customerId, input.unsubscribedAt),
            taskQueue: deps.taskQueue,
            args: [input],
          });
          started += 1;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      return { started };
    },

    /**
     * A dispatcher's work (workflows/event-dispatch.ts): delivers its shard's backlog, heartbeating the running totals,
     * for up to DISPATCH_BUDGET_MS; `more` says the shard was not empty when it stopped. The lease is the dispatcher's
     * own (its workflow id), so a retried attempt takes it over at once; while the sweep holds it, nothing is done.
     */
    async dispatchShardEvents({ shard }: EventDispatchInput): Promise<PassResult & { more: boolean }> {
      const holder = Context.current().info.workflowExecution?.workflowId ?? `dispatch:${shard}`;
      const done = await deliverShard(deps, shard, holder, {
        until: Date.now() + DISPATCH_BUDGET_MS,
        maxEvents: Number.POSITIVE_INFINITY,
        lingerMs: LINGER_MS,
        onSignal: (total) => Context.current().heartbeat(total),
      });
      await foldDeferred(deps.orm);
      return done ?? { ...NONE, more: false };
    },

    /**
     * The safety net, run by the redelivery schedule: a shard with events older than a minute has a dispatcher that
     * is missing, wedged or far behind. The sweep delivers a batch of it itself (unless its dispatcher holds the lease:
     * it is working) and then wakes the dispatcher (signal-with-start: a missing one starts) for the rest.
     */
    async redeliverPendingEvents(): Promise<{ delivered: number; customers: number }> {
      const holder = `sweep:${Context.current().info.workflowExecution?.workflowId ?? 'redeliver-events'}`;
      let total = NONE;
      for (const shard of await shardsWithOldEvents(deps.orm, SWEEP_AFTER_MS)) {
        const done = await deliverShard(deps, shard, holder, { until: Number.POSITIVE_INFINITY, maxEvents: SWEEP_BATCH });
        if (done) total = add(total, done);
        await deps.temporal.workflow.signalWithStart<typeof eventDispatcher, []>('eventDispatcher', {
          workflowId: eventDispatcherId(deps.taskQueue, shard),
          taskQueue: dispatcherTaskQueue(deps.taskQueue),
          args: [{ shard, taskQueue: dispatcherTaskQueue(deps.taskQueue) }],
          signal: wakeDispatcher,
          signalArgs: [],
        });
      }
      await foldDeferred(deps.orm);
      return { delivered: total.delivered, customers: total.customers };
    },
  };
}
