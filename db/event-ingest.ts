// Customer events between POST /events and the lifecycles: storing a batch, the undelivered backlog per shard, the
// shard leases that keep one deliverer per shard, and what the ingest status route reports.
import { EVENT_SHARDS } from '../domain/event-shards.ts';
import type { EventType } from '../domain/lifecycle.types.ts';
import type { Orm } from './orm.ts';
import { byKey, textArray, transaction } from './sql.ts';

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
  customer_id: string;
  type: EventType;
  at: string;
  amount: number | null;
  campaign_id: string | null;
  idempotency_key: string;
}

/** How far an event must be ahead of a customer's stored last_active_at to move it. */
const LAST_ACTIVE_STEP_MS = 60_000;

/**
 * Stores a batch once per idempotency key and moves each customer's last_active_at, in one transaction. The cursor is
 * the highest id among the batch's rows (new or stored before): once every event up to it is delivered, so is the batch.
 * `lastActive` is each customer's last_active_at as read when resolving the batch (customersByIdsOrExternalIds).
 */
export async function storeEvents(
  orm: Orm,
  events: NewEvent[],
  lastActive: ReadonlyMap<string, Date | null>,
): Promise<{ fresh: number; cursor: string }> {
  // Inserted in key order (two concurrent batches sharing keys then take the unique index's locks in the same order,
  // never a deadlock), numbered in the caller's order: the dispatchers deliver by id, and a lifecycle applies events
  // of the same instant in the order it gets them.
  const rows = events.map((e, pos) => ({ ...e, pos })).sort(byKey((r) => r.idempotency_key));
  const json = JSON.stringify(rows);
  // last_active_at feeds audience filters (days of inactivity): it moves only for an event newer than the stored value
  // by more than a minute, so a customer active all day is written once a minute at most, and the customers it does
  // not move (most, in a busy stream) are not looked up again. The stored value only ever moves forward, so a stale
  // read never skips a move that is due.
  const newest = new Map<string, number>();
  for (const e of events) newest.set(e.customer_id, Math.max(newest.get(e.customer_id) ?? -Infinity, Date.parse(e.at)));
  const moves = [...newest]
    .filter(([id, at]) => {
      const stored = lastActive.get(id);
      return !stored || at > stored.getTime() + LAST_ACTIVE_STEP_MS;
    })
    .sort(byKey(([id]) => id));
  return transaction(orm, async (q) => {
    // Before the events: their insert ends with the KPI trigger's writes to the day's shared rollup rows, which every
    // concurrent batch waits on until this transaction commits, so nothing else follows it. Locked in id order (the
    // rows come sorted), so two concurrent batches never deadlock; the newest event wins whatever order batches arrive in.
    if (moves.length)
      await q(
        `update customers c set last_active_at = greatest(c.last_active_at, m.at)
         from (select c2.id, u.at from unnest(?::uuid[], ?::timestamptz[]) with ordinality u(id, at, n)
               join customers c2 on c2.id = u.id where c2.last_active_at is null or c2.last_active_at < u.at
               order by u.n for update of c2) m
         where c.id = m.id`,
        [textArray(moves.map(([id]) => id)), textArray(moves.map(([, at]) => new Date(at).toISOString()))],
      );
    const inserted = await q<{ id: string }[]>(
      `with x as (
         select * from jsonb_to_recordset(?::jsonb)
           as x(pos int, customer_id uuid, type text, at timestamptz, amount numeric, campaign_id text, idempotency_key text)
       ), numbered as (
         select o.*, nextval('customer_events_id_seq') as id from (select * from x order by pos) o
       )
       insert into customer_events (id, customer_id, type, at, amount, campaign_id, idempotency_key, received_at)
       select id, customer_id, type, at, amount, campaign_id, idempotency_key, now() from numbered order by idempotency_key
       on conflict (idempotency_key) do nothing
       returning id`,
      [json],
    );
    let cursor = inserted.reduce((max, r) => (BigInt(r.id) > max ? BigInt(r.id) : max), 0n);
    if (inserted.length < rows.length) {
      // Repeated keys: their rows were stored earlier (and may not be delivered yet).
      const [known] = await q<{ id: string | null }[]>('select max(id) as id from customer_events where idempotency_key = any(?::text[])', [
        textArray(rows.map((r) => r.idempotency_key)),
      ]);
      if (known?.id && BigInt(known.id) > cursor) cursor = BigInt(known.id);
    }
    return { fresh: inserted.length, cursor: cursor.toString() };
  });
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

/** The customers named by id or by external id, for resolving an ingest batch's events (and moving their last_active_at). */
export async function customersByIdsOrExternalIds(
  orm: Orm,
  ids: readonly string[],
  externalIds: readonly string[],
): Promise<{ id: string; external_id: string; last_active_at: Date | null }[]> {
  return orm.em.getConnection().execute<{ id: string; external_id: string; last_active_at: Date | null }[]>(
    // Two index lookups: with `or` the planner scans the whole table (18 ms a batch at 50,000 customers).
    'select id, external_id, last_active_at from customers where id = any(?::uuid[]) union select id, external_id, last_active_at from customers where external_id = any(?::text[])',
    [textArray(ids), textArray(externalIds)],
  );
}
