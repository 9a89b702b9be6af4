// Hands stored customer events to their lifecycle workflows (signal-with-start) and marks them delivered. Used by
// POST /events right after storing, and by the redelivery sweep for whatever a failed call left behind.
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { readSetting, SETTINGS } from '../db/settings.ts';
import { customerLifecycleId, unsubscribeConfirmationId } from '../workflows/ids.ts';
import type { unsubscribeConfirmation } from '../workflows/unsubscribe-confirmation.ts';
import { recordEvents, startWinBack } from '../workflows/lifecycle.messages.ts';
import type { customerLifecycle } from '../workflows/lifecycle.ts';
import { DEFAULT_LIFECYCLE_POLICY, type CustomerEvent, type EventsSignal, type LifecyclePolicy, type WinBackRequest } from '../workflows/lifecycle.types.ts';

/** Events per signal: far below Temporal's 2 MB request limit, and below the keys a lifecycle remembers (1,000). */
export const EVENTS_PER_SIGNAL = 500;
/** Signal-with-start calls in flight at once. */
const PARALLEL_SIGNALS = 32;

export interface StoredEvent {
  id: number;
  customer_id: string;
  type: CustomerEvent['type'];
  at: Date;
  amount: string | null;
  campaign_id: string | null;
  idempotency_key: string;
}

export const STORED_EVENT_COLUMNS = 'id, customer_id, type, at, amount, campaign_id, idempotency_key';

export interface DeliveryDeps {
  orm: Orm;
  temporal: Client;
  taskQueue: string;
  /** Wraps every Temporal call (the API's deadline). */
  call?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export interface DeliveryResult {
  delivered: number;
  customers: number;
  /** Customers whose workflow could not be reached; their events stay undelivered for a retry or the sweep. */
  failed: number;
  /**
   * Customers whose workflow got its events but whose delivery could not be recorded (the database failed after the
   * signal): the events stay marked undelivered and go again, which the lifecycle ignores by their keys.
   */
  unrecorded: number;
}

function signalOf(events: StoredEvent[], policy: LifecyclePolicy): EventsSignal {
  return {
    policyVersion: policy.version,
    events: events.map((e) => ({
      key: e.idempotency_key, type: e.type, at: new Date(e.at).toISOString(),
      ...(e.amount !== null ? { amount: Number(e.amount) } : {}), ...(e.campaign_id ? { campaignId: e.campaign_id } : {}),
    })),
  };
}

/** Delivers events (in time order per customer), in chunks; a chunk is marked delivered once its signal is accepted. */
export async function deliverEvents(deps: DeliveryDeps, events: StoredEvent[]): Promise<DeliveryResult> {
  const { orm, temporal, taskQueue } = deps;
  const call = deps.call ?? ((fn) => fn());
  const policy = await readSetting(orm, SETTINGS.lifecyclePolicy, DEFAULT_LIFECYCLE_POLICY);
  const byCustomer = new Map<string, StoredEvent[]>();
  for (const e of events) byCustomer.set(e.customer_id, [...(byCustomer.get(e.customer_id) ?? []), e]);
  const queue = [...byCustomer.entries()];
  const result: DeliveryResult = { delivered: 0, customers: byCustomer.size, failed: 0, unrecorded: 0 };

  /** 'unreached' when the signal failed, 'unrecorded' when only the write after it did. */
  async function deliverOne(customerId: string, own: StoredEvent[]): Promise<'unreached' | 'unrecorded' | undefined> {
    for (let i = 0; i < own.length; i += EVENTS_PER_SIGNAL) {
      const chunk = own.slice(i, i + EVENTS_PER_SIGNAL);
      try {
        await call(() => temporal.workflow.signalWithStart<typeof customerLifecycle, [EventsSignal]>('customerLifecycle', {
          workflowId: customerLifecycleId(customerId), taskQueue, args: [{ customerId, policy }],
          signal: recordEvents, signalArgs: [signalOf(chunk, policy)],
        }));
      } catch {
        return 'unreached';
      }
      result.delivered += chunk.length;
      try {
        await orm.em.getConnection().execute('update customer_events set delivered_at = now() where id = any(?::bigint[])',
          [`{${chunk.map((e) => e.id).join(',')}}`]);
      } catch {
        return 'unrecorded';
      }
    }
    return undefined;
  }

  await Promise.all(Array.from({ length: Math.min(PARALLEL_SIGNALS, queue.length) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const outcome = await deliverOne(next[0], next[1]);
      if (outcome === 'unreached') result.failed += 1;
      if (outcome === 'unrecorded') result.unrecorded += 1;
    }
  }));
  return result;
}

/** Undelivered events older than this are the sweep's: younger ones may still be on their way from the API. */
const SWEEP_AFTER = '1 minute';
const SWEEP_BATCH = 10_000;

/** Customers a win-back run reads per page (and heartbeats after). */
const WINBACK_PAGE = 500;

export function createEventDeliveryActivities(deps: DeliveryDeps) {
  return {
    /**
     * A rule's start_winback: every customer now in the segment is asked to start a win-back, once per key (the rule and
     * its episode), so a retried or resumed run asks again harmlessly. Heartbeats its cursor (the last customer id) and
     * resumes after it.
     */
    async startWinBackForSegment(args: { segment: string; key: string; cause: string }): Promise<{ customers: number }> {
      const { orm, temporal, taskQueue } = deps;
      const policy = await readSetting(orm, SETTINGS.lifecyclePolicy, DEFAULT_LIFECYCLE_POLICY);
      let cursor = (Context.current().info.heartbeatDetails as { cursor: string; customers: number } | undefined) ?? { cursor: '00000000-0000-0000-0000-000000000000', customers: 0 };
      const request: WinBackRequest = { key: args.key, cause: args.cause };
      for (;;) {
        const page = await orm.em.getConnection().execute<{ id: string }[]>(
          'select id from customers where segment = ? and id > ?::uuid order by id limit ?', [args.segment, cursor.cursor, WINBACK_PAGE]);
        if (page.length === 0) return { customers: cursor.customers };
        const queue = [...page];
        await Promise.all(Array.from({ length: Math.min(PARALLEL_SIGNALS, queue.length) }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            const customerId = next.id;
            await temporal.workflow.signalWithStart<typeof customerLifecycle, [WinBackRequest]>('customerLifecycle', {
              workflowId: customerLifecycleId(customerId), taskQueue, args: [{ customerId, policy }], signal: startWinBack, signalArgs: [request],
            });
          }
        }));
        cursor = { cursor: page.at(-1)!.id, customers: cursor.customers + page.length };
        Context.current().heartbeat(cursor);
      }
    },

    /**
     * Starts the confirmation email of every unsubscription the API could not start one for (Temporal unreachable, the
     * API gone); the workflow id is per unsubscription, so one already started is left as it is.
     */
    async confirmPendingUnsubscriptions(): Promise<{ started: number }> {
      const pending = await deps.orm.em.getConnection().execute<{ id: string; unsubscribed_at: Date }[]>(
        `select id, unsubscribed_at from customers
         where unsubscribed_at is not null and unsubscribe_confirmed_at is null and unsubscribed_at < now() - interval '${SWEEP_AFTER}'
         order by unsubscribed_at limit ${SWEEP_BATCH}`);
      let started = 0;
      for (const row of pending) {
        const input = { customerId: row.id, unsubscribedAt: new Date(row.unsubscribed_at).toISOString() };
        try {
          await deps.temporal.workflow.start<typeof unsubscribeConfirmation>('unsubscribeConfirmation', {
            workflowId: unsubscribeConfirmationId(input.customerId, input.unsubscribedAt), taskQueue: deps.taskQueue, args: [input],
          });
          started += 1;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      return { started };
    },

    /** Delivers events a failed or abandoned POST /events left stored but undelivered, oldest first. */
    async redeliverPendingEvents(): Promise<DeliveryResult> {
      const pending = await deps.orm.em.getConnection().execute<StoredEvent[]>(
        `select ${STORED_EVENT_COLUMNS} from customer_events
         where delivered_at is null and received_at < now() - interval '${SWEEP_AFTER}'
         order by at, id limit ${SWEEP_BATCH}`);
      const result = await deliverEvents(deps, pending);
      // Unreachable Temporal is an outage, not a business error: retry the activity.
      if (result.failed) throw new Error(`${result.failed} customer lifecycle(s) could not be reached`);
      if (result.unrecorded) throw new Error(`the delivery of ${result.unrecorded} customer(s)' events could not be recorded`);
      return result;
    },
  };
}
