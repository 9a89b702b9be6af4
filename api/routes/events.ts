// Customer events: stored once per idempotency key, then handed to each customer's lifecycle workflow
// (signal-with-start). A call that fails half-way is repaired by repeating it, or by the redelivery sweep: stored
// events that never reached their workflow are delivered then, and the workflow ignores a key it has already seen.
import { Router } from 'express';
import { z } from 'zod';
import type { Orm } from '../../db/orm.ts';
import { deliverEvents, STORED_EVENT_COLUMNS, type StoredEvent } from '../../activities/event-delivery.ts';
import { byKey, textArray, transaction } from '../../db/sql.ts';
import { EVENT_TYPES } from '../../workflows/lifecycle.types.ts';
import type { ApiDeps } from '../app.ts';
import { DATABASE_RETRY_AFTER_S, HttpError, TEMPORAL_RETRY_AFTER_S, unprocessable, type FieldError } from '../errors.ts';
import { defineRoute, type RouteRegistry } from '../http.ts';
import { BATCH_LIMIT } from './customers.ts';

/** An event may be stamped a little ahead of this server's clock (clock skew), not more. */
const FUTURE_SKEW_MS = 5 * 60_000;
const EPOCH = 0;

const eventIn = z.object({
  customerId: z.uuid().optional(),
  externalId: z.string().trim().min(1).max(200).optional(),
  type: z.enum(EVENT_TYPES),
  at: z.iso.datetime({ offset: true }).refine((at) => Date.parse(at) >= EPOCH, 'must be in 1970 or later'),
  amount: z.number().min(0).max(999_999_999_999.99).optional().describe('purchase value'),
  campaignId: z.string().min(1).max(200).optional().describe('attributes the event to a campaign'),
  idempotencyKey: z.string().min(1).max(200).describe('a repeated key is accepted and ignored'),
}).strict().refine((e) => (e.customerId === undefined) !== (e.externalId === undefined), {
  message: 'give exactly one of customerId or externalId', path: ['customerId'],
});
type EventIn = z.infer<typeof eventIn>;

/** Each event's customer id, or the items that name no known customer. */
async function resolveCustomers(orm: Orm, events: EventIn[]): Promise<string[]> {
  const ids = [...new Set(events.flatMap((e) => (e.customerId ? [e.customerId.toLowerCase()] : [])))];
  const externalIds = [...new Set(events.flatMap((e) => (e.externalId ? [e.externalId] : [])))];
  const rows = await orm.em.getConnection().execute<{ id: string; external_id: string }[]>(
    'select id, external_id from customers where id = any(?::uuid[]) or external_id = any(?::text[])',
    [textArray(ids), textArray(externalIds)]);
  const byId = new Set(rows.map((r) => r.id));
  const byExternal = new Map(rows.map((r) => [r.external_id, r.id]));
  const missing: FieldError[] = [];
  const resolved = events.map((e, i) => {
    const wanted = e.customerId?.toLowerCase();
    const id = wanted ? (byId.has(wanted) ? wanted : undefined) : byExternal.get(e.externalId!);
    if (!id) missing.push(e.customerId
      ? { field: `events[${i}].customerId`, message: `no customer with id ${e.customerId}` }
      : { field: `events[${i}].externalId`, message: `no customer with externalId "${e.externalId}"` });
    return id ?? '';
  });
  if (missing.length) throw unprocessable(`${missing.length} event(s) name an unknown customer; nothing was stored`, missing.slice(0, 100));
  return resolved;
}

/** Stores the new events and answers every event of this batch that has not reached its workflow yet. */
async function store(orm: Orm, events: EventIn[], customerIds: string[]): Promise<{ fresh: number; undelivered: StoredEvent[] }> {
  // In key order: two concurrent batches sharing keys then take the unique index's locks in the same order.
  const rows = events.map((e, i) => ({
    customer_id: customerIds[i], type: e.type, at: e.at, amount: e.amount ?? null, campaign_id: e.campaignId ?? null,
    idempotency_key: e.idempotencyKey,
  })).sort(byKey((r) => r.idempotency_key));
  return transaction(orm, async (q) => {
    const inserted = await q<{ id: number }[]>(
      `insert into customer_events (customer_id, type, at, amount, campaign_id, idempotency_key, received_at)
       select x.customer_id, x.type, x.at, x.amount, x.campaign_id, x.idempotency_key, now()
       from jsonb_to_recordset(?::jsonb) as x(customer_id uuid, type text, at timestamptz, amount numeric, campaign_id text, idempotency_key text)
       on conflict (idempotency_key) do nothing
       returning id`, [JSON.stringify(rows)]);
    // last_active_at feeds audience filters; the newest event wins whatever order batches arrive in.
    await q(
      `update customers c set last_active_at = greatest(c.last_active_at, x.at)
       from (select customer_id, max(at) as at from jsonb_to_recordset(?::jsonb) as y(customer_id uuid, at timestamptz)
             group by customer_id) x
       where c.id = x.customer_id and (c.last_active_at is null or c.last_active_at < x.at)`, [JSON.stringify(rows)]);
    const undelivered = await q<StoredEvent[]>(
      `select ${STORED_EVENT_COLUMNS} from customer_events
       where idempotency_key = any(?::text[]) and delivered_at is null
       order by at, array_position(?::text[], idempotency_key)`, // equal times keep the caller's order
      [textArray(events.map((e) => e.idempotencyKey)), textArray(events.map((e) => e.idempotencyKey))]);
    return { fresh: inserted.length, undelivered };
  });
}

export function eventsRouter({ orm, temporal, taskQueue, deadline, audit }: ApiDeps, registry: RouteRegistry): Router {
  const router = Router();

  defineRoute(router, registry, {
    method: 'post', path: '/events', tag: 'customers', access: ['admin', 'ops_manager', 'ingest'],
    bodyLimit: '16mb', // batch imports: up to 10,000 customers, events or metric points
    summary: `Record up to ${BATCH_LIMIT} customer events; each reaches its customer's lifecycle workflow`,
    body: z.object({ events: z.array(eventIn).min(1).max(BATCH_LIMIT) }).strict(),
    status: 202,
    response: z.object({
      accepted: z.number().describe('events stored by this call'),
      duplicates: z.number().describe('events whose idempotency key was already known (ignored)'),
      delivered: z.number().describe('events handed to lifecycle workflows by this call (includes earlier undelivered ones)'),
      customers: z.number().describe('lifecycle workflows signalled'),
    }),
    errors: [400, 401, 403, 413, 422, 503, 504],
  }, async ({ body, actor }) => {
    const now = Date.now();
    const future = body.events.flatMap((e, i) => (Date.parse(e.at) > now + FUTURE_SKEW_MS
      ? [{ field: `events[${i}].at`, message: 'is in the future' }] : []));
    if (future.length) throw unprocessable('events from the future; nothing was stored', future.slice(0, 100));
    const customerIds = await resolveCustomers(orm, body.events);
    const { fresh, undelivered } = await store(orm, body.events, customerIds);
    await audit(actor, 'events.recorded', 'customer_event', 'batch', { accepted: fresh, received: body.events.length });

    const delivery = await deliverEvents({ orm, temporal, taskQueue, call: deadline }, undelivered);
    // Say what failed: the signal (Temporal) or only the record of it (PostgreSQL); the events are stored either way.
    if (delivery.failed) {
      throw new HttpError(503, 'unavailable', `the events are stored, but ${delivery.failed} customer lifecycle(s) could not be `
        + 'reached (the workflow service is unavailable or did not answer in time); repeat the same request to deliver them now (the redelivery sweep '
        + 'delivers them within minutes otherwise)', undefined, TEMPORAL_RETRY_AFTER_S);
    }
    if (delivery.unrecorded) {
      throw new HttpError(503, 'unavailable', `the events are stored and delivered, but recording the delivery to `
        + `${delivery.unrecorded} customer(s) failed (the database is unavailable); repeating the request is safe: `
        + 'lifecycles ignore events they already have', undefined, DATABASE_RETRY_AFTER_S);
    }
    return { accepted: fresh, duplicates: body.events.length - fresh, delivered: delivery.delivered, customers: delivery.customers };
  });

  return router;
}
