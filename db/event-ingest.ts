// Customer events between POST /events and the lifecycles: storing a batch, the undelivered backlog per shard, the
// shard leases that keep one deliverer per shard, and what the ingest status route reports.
import { EVENT_SHARDS } from '../domain/event-shards.ts';
import type { EventType } from '../domain/lifecycle.types.ts';
import type { Orm } from './orm.ts';
import { prepared, runPrepared } from './prepared.ts';
import { arrayLiteral } from './sql.ts';

/** A row's shard: the expression of the partial index in Migration20261203160000_event_ingest, to the character. */
const SHARD = `(get_byte(uuid_send(customer_id), 15) % ${EVENT_SHARDS})`;

export interface StoredEvent {
  id: number;
  customer_id: string;
  type: EventType;
  at: Date;
  amount: string | null;
  campaign_id: string | null;
  idempotency_key: string;
}

export const STORED_EVENT_COLUMNS = 'id, customer_id, type, at, amount, campaign_id, idempotency_key';

export interface NewEvent {
  /** The customer, by id or by external id (exactly one of them). */
  customerId?: string;
  externalId?: string;
  type: EventType;
  at: string;
  amount: number | null;
  campaignId: string | null;
  idempotencyKey: string;
}

/** How far an event must be ahead of a customer's stored last_active_at to move it. */
const LAST_ACTIVE_STEP_MS = 60_000;

const INGEST = prepared(
  'ingest-events-audited',
  'select missing_at, customers, shards, stored, last_id from ingest_events($1, $2, $3, $4, $5, $6, $7, $8, $9)',
);

export type StoreResult =
  | { missing: number[] }
  | {
      missing?: undefined;
      fresh: number;
      cursor: string;
      /** How many customers the batch names, and their dispatcher shards (domain/event-shards.ts). */
      customers: number;
      shards: number[];
    };

/**
 * Stores a batch once per idempotency key, moves each customer's last_active_at and, with `auditActor`, appends the
 * batch's audit event ('events.recorded': accepted, received, cursor), in one statement and one transaction
 * (ingest_events, Migration20261204120000_ingest_events_audit): or, when some event names no known customer, stores
 * nothing and answers their positions. The cursor is the highest id among the batch's rows (new or stored before):
 * once every event up to it is delivered, so is the batch. last_active_at feeds audience filters (days of inactivity):
 * it moves only for an event more than a minute ahead of the stored value, never back.
 */
export async function storeEvents(orm: Orm, events: readonly NewEvent[], auditActor?: string): Promise<StoreResult> {
  // A column no event has travels as null (ingest_events pads it).
  const column = (pick: (e: NewEvent) => string | number | null) => {
    const values = events.map(pick);
    return values.every((v) => v === null) ? null : arrayLiteral(values);
  };
  const [row] = await runPrepared<{
    missing_at: number[] | null;
    customers: number;
    shards: number[] | null;
    stored: number;
    last_id: string | null;
  }>(orm, INGEST, [
    column((e) => e.customerId ?? null),
    column((e) => e.externalId ?? null),
    column((e) => e.type),
    column((e) => e.at),
    column((e) => e.amount),
    column((e) => e.campaignId),
    column((e) => e.idempotencyKey),
    LAST_ACTIVE_STEP_MS,
    auditActor ?? null,
  ]);
  if (row!.missing_at) return { missing: row!.missing_at };
  return { fresh: row!.stored, cursor: row!.last_id ?? '0', customers: row!.customers, shards: row!.shards ?? [] };
}

export interface ClaimLimits {
  /** Customers per pass (one signal each). */
  customers: number;
  /** Events per customer per pass. */
  perCustomer: number;
  /** Events per pass in all (the last customer may get fewer: still their oldest). */
  events: number;
}

/**
 * The oldest undelivered events of a shard, grouped by customer: the customers whose first undelivered event is
 * oldest, and for each their own undelivered events from the oldest on (a prefix: a customer's events never overtake
 * each other). Ordered by customer (oldest first), then id.
 */
export async function undeliveredOfShard(orm: Orm, shard: number, limits: ClaimLimits): Promise<StoredEvent[]> {
  return orm.em
    .fork()
    .getConnection()
    .execute<StoredEvent[]>(
      `with firsts as (
       select customer_id, min(id) as first_id from (
         select customer_id, id from customer_events where delivered_at is null and ${SHARD} = ? order by id limit ?
       ) w group by customer_id order by first_id limit ?
     )
     select e.* from firsts f cross join lateral (
       select ${STORED_EVENT_COLUMNS} from customer_events c
       where c.customer_id = f.customer_id and c.delivered_at is null order by c.id limit ?
     ) e
     order by f.first_id, e.id limit ?`,
      // The window: enough of the shard's oldest rows to find `customers` distinct customers in a mixed stream.
      [shard, limits.customers * 4, limits.customers, limits.perCustomer, limits.events],
    );
}

export async function markDelivered(orm: Orm, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await orm.em
    .fork()
    .getConnection()
    .execute('update customer_events set delivered_at = now() where id = any(?::bigint[]) and delivered_at is null', [
      `{${ids.join(',')}}`,
    ]);
}

/** Shards holding events received before `olderThanMs` ago and not delivered yet. */
export async function shardsWithOldEvents(orm: Orm, olderThanMs: number): Promise<number[]> {
  const rows = await orm.em
    .fork()
    .getConnection()
    .execute<{ shard: number }[]>(
      `select s.k as shard from generate_series(0, ${EVENT_SHARDS - 1}) s(k)
     where exists (select 1 from customer_events where delivered_at is null and ${SHARD} = s.k
                   and received_at < now() - ? * interval '1 millisecond')`,
      [olderThanMs],
    );
  return rows.map((r) => r.shard);
}

/**
 * Takes (or renews) a shard's lease for `holder`: true when it is theirs until `ttlMs` from now. A lease its holder
 * did not release (a crashed worker) is free again once expired.
 */
export async function takeShardLease(orm: Orm, shard: number, holder: string, ttlMs: number): Promise<boolean> {
  const rows = await orm.em
    .fork()
    .getConnection()
    .execute(
      `insert into event_dispatch_leases (shard, holder, expires_at) values (?, ?, now() + ? * interval '1 millisecond')
     on conflict (shard) do update set holder = excluded.holder, expires_at = excluded.expires_at
     where event_dispatch_leases.holder = excluded.holder or event_dispatch_leases.expires_at < now()
     returning shard`,
      [shard, holder, ttlMs],
    );
  return rows.length === 1;
}

export async function releaseShardLease(orm: Orm, shard: number, holder: string): Promise<void> {
  await orm.em.fork().getConnection().execute('delete from event_dispatch_leases where shard = ? and holder = ?', [shard, holder]);
}

export interface ShardStatus {
  shard: number;
  undelivered: number;
  oldestReceivedAt: Date | null;
  /** The lowest undelivered id: every event below it has been delivered. */
  firstUndeliveredId: string | null;
}

/** The undelivered backlog per shard; each figure from the shard's partial index. */
export async function undeliveredByShard(orm: Orm): Promise<ShardStatus[]> {
  const rows = await orm.em
    .fork()
    .getConnection()
    .execute<{ shard: number; undelivered: number; first_id: string | null; received_at: Date | null }[]>(
      `select s.k as shard, f.id as first_id, f.received_at,
       (select count(*) from customer_events where delivered_at is null and ${SHARD} = s.k)::int as undelivered
     from generate_series(0, ${EVENT_SHARDS - 1}) s(k)
     left join lateral (select id, received_at from customer_events where delivered_at is null and ${SHARD} = s.k order by id limit 1) f on true
     order by s.k`,
    );
  return rows.map((r) => ({
    shard: r.shard,
    undelivered: r.undelivered,
    oldestReceivedAt: r.received_at ? new Date(r.received_at) : null,
    firstUndeliveredId: r.first_id,
  }));
}

/** The received time of the oldest undelivered event (the sweep's partial index). */
export async function oldestUndelivered(orm: Orm): Promise<Date | null> {
  const [row] = await orm.em
    .fork()
    .getConnection()
    .execute<{ at: Date | null }[]>('select min(received_at) as at from customer_events where delivered_at is null');
  return row?.at ? new Date(row.at) : null;
}
