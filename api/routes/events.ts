// Customer events: stored once per idempotency key and answered 202 at once; each shard's dispatcher workflow delivers
// them to their lifecycles in the background (activities/event-delivery.ts). The API only wakes the dispatchers,
// after storing and without waiting: a Temporal outage delays delivery, never ingest. GET /events/ingest-status says
// what is still on its way.
import { Router } from 'express';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { Orm } from '../../db/orm.ts';
import { oldestUndelivered, storeEvents, undeliveredByShard } from '../../db/event-ingest.ts';
import { EVENT_SHARDS } from '../../domain/event-shards.ts';
import type { Logger } from '../../runtime/logger.ts';
import { queueBacklog } from '../../runtime/queue-backlog.ts';
import { dispatcherTaskQueue, eventDispatcherId, wakeDispatcher } from '../../workflows/event-dispatch.messages.ts';
import type { eventDispatcher } from '../../workflows/event-dispatch.ts';
import { EVENT_TYPES } from '../../domain/lifecycle.types.ts';
import type { TemporalCall } from '../temporal.ts';
import type { ApiDeps } from '../app.ts';
import { unprocessable } from '../errors.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { BATCH_LIMIT } from '../schemas.ts';

/** An event may be stamped a little ahead of this server's clock (clock skew), not more. */
const FUTURE_SKEW_MS = 5 * 60_000;
const EPOCH = 0;

const eventIn = z
  .object({
    customerId: z.uuid().optional(),
    externalId: z.string().trim().min(1).max(200).optional(),
    type: z.enum(EVENT_TYPES),
    // A year from 1971 on is later whatever the offset: parsing only the rest saves 0.5 ms of a 1,000-event batch.
    at: z.iso.datetime({ offset: true }).refine((at) => at >= '1971' || Date.parse(at) >= EPOCH, 'must be in 1970 or later'),
    amount: z.number().min(0).max(999_999_999_999.99).optional().describe('purchase value'),
    campaignId: z.string().min(1).max(200).optional().describe('attributes the event to a campaign'),
    idempotencyKey: z.string().min(1).max(200).describe('a repeated key is accepted and ignored'),
  })
  .strict()
  .refine((e) => (e.customerId === undefined) !== (e.externalId === undefined), {
    message: 'give exactly one of customerId or externalId',
    path: ['customerId'],
  });

/** A shard's dispatcher is woken at most this often by one API process (plus one wake after the last store). */
const WAKE_EVERY_MS = 500;
/** A failed wake (Temporal unreachable) is tried again this often, for up to 5 minutes (then the sweep's schedule finds them). */
const WAKE_RETRY_MS = 2_000;
const WAKE_RETRIES = 150;
const WAKE_DEADLINE_MS = 5_000;
/** The status asks Temporal for its backlog with this deadline: an outage answers null, not a late status. */
const BACKLOG_DEADLINE_MS = 1_000;

/**
 * Wakes the dispatchers of the shards a stored batch touched (signal-with-start: a missing one starts), without
 * being waited for: per shard one wake in flight, at most one per WAKE_EVERY_MS, and always one sent after the last
 * store asked for it (a dispatcher finishing its pass just before a commit still hears of it). A wake that fails is
 * tried again while Temporal is unreachable, so events stored during an outage go out as soon as it ends.
 */
function dispatcherWaker(temporal: Client, taskQueue: string, deadline: TemporalCall, log: Logger) {
  const shards = Array.from({ length: EVENT_SHARDS }, () => ({
    lastSent: 0,
    inFlight: false,
    due: false,
    failures: 0,
    timer: undefined as NodeJS.Timeout | undefined,
  }));
  const later = (shard: number, ms: number) => {
    const s = shards[shard]!;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      wake(shard);
    }, ms).unref();
  };
  const send = (shard: number) => {
    const s = shards[shard]!;
    s.due = false;
    s.inFlight = true;
    s.lastSent = Date.now();
    let failed = false;
    deadline(
      () =>
        temporal.workflow.signalWithStart<typeof eventDispatcher, []>('eventDispatcher', {
          workflowId: eventDispatcherId(taskQueue, shard),
          // A dispatcher already running on the shared queue (started by an older version) is only signalled: it
          // hands over once its shard is empty, and the next wake starts it here.
          taskQueue: dispatcherTaskQueue(taskQueue),
          args: [{ shard, taskQueue: dispatcherTaskQueue(taskQueue) }],
          signal: wakeDispatcher,
          signalArgs: [],
        }),
      WAKE_DEADLINE_MS,
    )
      .then(
        () => {
          s.failures = 0;
        },
        (err: unknown) => {
          failed = true;
          s.failures += 1;
          if (s.failures < WAKE_RETRIES) s.due = true;
          log.debug({ shard, err: String(err) }, 'event dispatcher not woken; trying again');
        },
      )
      .finally(() => {
        s.inFlight = false;
        if (s.due && !s.timer) later(shard, failed ? WAKE_RETRY_MS : 0);
      });
  };
  function wake(shard: number): void {
    const s = shards[shard]!;
    s.due = true;
    if (s.inFlight || s.timer) return;
    const wait = s.lastSent + WAKE_EVERY_MS - Date.now();
    if (wait <= 0) send(shard);
    else later(shard, wait);
  }
  return (shards: readonly number[]) => {
    for (const shard of shards) wake(shard);
  };
}

const ingestStatus = z.object({
  undelivered: z.number().describe('stored events not yet handed to their lifecycle'),
  oldestReceivedAt: z.iso.datetime().nullable().describe('when the oldest of them was stored (null: none)'),
  oldestAgeMs: z.number().nullable().describe('how long ago, in milliseconds'),
  shards: z
    .array(
      z.object({
        shard: z.number(),
        undelivered: z.number(),
        oldestReceivedAt: z.iso.datetime().nullable(),
      }),
    )
    .describe('the same per dispatcher shard'),
  workflowTasks: z
    .object({
      waiting: z.number().describe('workflow tasks no worker has taken yet'),
      oldestWaitingMs: z.number().describe('how long the oldest of them has waited, in milliseconds'),
    })
    .nullable()
    .describe(
      "delivered is not yet applied: a delivered event waits here, as a task of its lifecycle, until a worker applies it. The main task queue's backlog as Temporal reports it (approximate, refreshed every few seconds; the tasks of the other workflows on that queue included); null when Temporal cannot say (unreachable, or a server before 1.25)",
    ),
  cursor: z
    .object({
      cursor: z.string(),
      delivered: z.boolean().describe('every event stored up to this cursor (the batch it came with included) has reached its lifecycle'),
    })
    .optional()
    .describe('when ?cursor= was given'),
});

export function eventsRouter({ orm, temporal, taskQueue, deadline, log }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();
  const wake = dispatcherWaker(temporal, taskQueue, deadline, log);
  const workflowBacklog = queueBacklog(temporal, taskQueue, (fn) => deadline(fn, BACKLOG_DEADLINE_MS));

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/events',
      tag: 'customers',
      access: ['admin', 'ops_manager', 'ingest'],
      bodyLimit: '16mb', // batch imports: up to 10,000 customers, events or metric points
      summary: `Record up to ${BATCH_LIMIT} customer events: answered once stored; each reaches its customer's lifecycle workflow in the background`,
      body: z.object({ events: z.array(eventIn).min(1).max(BATCH_LIMIT) }).strict(),
      status: 202,
      response: z.object({
        accepted: z.number().describe('events stored by this call'),
        duplicates: z.number().describe('events whose idempotency key was already known (ignored)'),
        customers: z.number().describe('customers (lifecycle workflows) the events go to'),
        cursor: z
          .string()
          .describe('opaque; GET /events/ingest-status?cursor= says when every event of this batch has reached its lifecycle'),
      }),
      errors: [400, 401, 403, 413, 422, 503],
    },
    async ({ body, actor }) => {
      const latest = Date.now() + FUTURE_SKEW_MS;
      const future: { field: string; message: string }[] = [];
      body.events.forEach((e, i) => {
        if (Date.parse(e.at) > latest) future.push({ field: `events[${i}].at`, message: 'is in the future' });
      });
      if (future.length) throw unprocessable('events from the future; nothing was stored', future.slice(0, 100));
      // The batch's audit event is written by the same statement (one round trip, one commit).
      const stored = await storeEvents(
        orm,
        body.events.map((e) => ({
          customerId: e.customerId,
          externalId: e.externalId,
          type: e.type,
          at: e.at,
          amount: e.amount ?? null,
          campaignId: e.campaignId ?? null,
          idempotencyKey: e.idempotencyKey,
        })),
        actor.id,
      );
      if (stored.missing) {
        const missing = stored.missing.slice(0, 100).map((i) => {
          const e = body.events[i]!;
          return e.customerId
            ? { field: `events[${i}].customerId`, message: `no customer with id ${e.customerId}` }
            : { field: `events[${i}].externalId`, message: `no customer with externalId "${e.externalId}"` };
        });
        throw unprocessable(`${stored.missing.length} event(s) name an unknown customer; nothing was stored`, missing);
      }
      const { fresh, cursor, customers, shards } = stored;
      wake(shards);
      return { accepted: fresh, duplicates: body.events.length - fresh, customers, cursor };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/events/ingest-status',
      tag: 'customers',
      access: ['admin', 'ops_manager', 'ingest', 'analyst'],
      summary:
        "Stored events not yet delivered to their lifecycles, the oldest one's age, whether a cursor's batch is delivered, and the workflow tasks waiting in Temporal",
      query: z
        .object({
          cursor: z
            .string()
            .regex(/^\d{1,18}$/, 'must be a cursor from POST /events')
            .optional(),
        })
        .strict(),
      response: ingestStatus,
      errors: [400, 401, 403, 503],
    },
    async ({ query }) => {
      const [shards, oldest, backlog] = await Promise.all([undeliveredByShard(orm), oldestUndelivered(orm), workflowBacklog()]);
      const iso = (d: Date | null) => (d ? d.toISOString() : null);
      const firsts = shards.flatMap((s) => (s.firstUndeliveredId ? [BigInt(s.firstUndeliveredId)] : []));
      const first = firsts.length ? firsts.reduce((a, b) => (a < b ? a : b)) : undefined;
      return {
        undelivered: shards.reduce((sum, s) => sum + s.undelivered, 0),
        oldestReceivedAt: iso(oldest),
        oldestAgeMs: oldest ? Math.max(0, Date.now() - oldest.getTime()) : null,
        shards: shards.map((s) => ({ shard: s.shard, undelivered: s.undelivered, oldestReceivedAt: iso(s.oldestReceivedAt) })),
        workflowTasks: backlog && { waiting: backlog.tasks, oldestWaitingMs: backlog.ageMs },
        ...(query.cursor !== undefined
          ? { cursor: { cursor: query.cursor, delivered: first === undefined || first > BigInt(query.cursor) } }
          : {}),
      };
    },
  );

  return router;
}
