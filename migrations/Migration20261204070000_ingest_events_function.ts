import { Migration } from '@mikro-orm/migrations';

/**
 * POST /events stores a batch with one call of ingest_events (issue 15): each event's customer resolved by a probe of
 * the primary key or of the external id's unique index, last_active_at moved, the events inserted once per key, in one
 * round trip and one transaction. The API ran four statements in two transactions before, and the planner made the
 * resolution and the last_active_at update hash joins over a sequential scan of every customer (50,000 customers:
 * 6 and 27 ms of a batch's database time, growing with the customer count); the function's SET options leave it
 * nothing but index probes, as the rollup triggers do.
 */
export class Migration20261204070000_ingest_events_function extends Migration {
  override name = 'Migration20261204070000_ingest_events_function';

  override up(): void | Promise<void> {
    this.addSql(INGEST_EVENTS);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function if exists ingest_events(uuid[], text[], text[], timestamptz[], numeric[], text[], text[], int);`);
  }
}

// Arguments: one array per field, element i being event i's (null where absent; each event names its customer by id or
// by external id). Answers the 0-based positions of events naming no known customer (then nothing is stored), or the
// batch's distinct customer ids, how many events were new, and the highest id among the batch's rows, new or stored
// before (db/event-ingest.ts says why).
export const INGEST_EVENTS = `create function ingest_events(p_customer_ids uuid[], p_external_ids text[], p_types text[],
  p_ats timestamptz[], p_amounts numeric[], p_campaign_ids text[], p_keys text[], p_active_step_ms int)
returns table (missing_at int[], customer_ids uuid[], stored int, last_id bigint) language plpgsql
set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
declare
  ids uuid[];
begin
  select array_agg(coalesce(c.id, x.id) order by u.n), array_agg(u.n::int - 1 order by u.n) filter (where c.id is null and x.id is null)
  into ids, missing_at
  from unnest(p_customer_ids, p_external_ids) with ordinality u(id, ext, n)
  left join lateral (select c.id from customers c where c.id = u.id) c on true
  left join lateral (select x.id from customers x where x.external_id = u.ext) x on true;
  stored := 0;
  if missing_at is not null then return next; return; end if;
  select array_agg(distinct i) into customer_ids from unnest(ids) i;

  -- Numbered in the caller's order (the dispatchers deliver by id), inserted in key order (two concurrent batches
  -- sharing keys take the unique index's locks in the same order: never a deadlock).
  with ins as (
    insert into customer_events as e (id, customer_id, type, at, amount, campaign_id, idempotency_key, received_at)
    select id, customer_id, type, at, amount, campaign_id, key, now() from (
      select nextval('customer_events_id_seq') as id, o.* from (
        select * from unnest(ids, p_types, p_ats, p_amounts, p_campaign_ids, p_keys) with ordinality
          u(customer_id, type, at, amount, campaign_id, key, n) order by n
      ) o
    ) numbered
    order by key
    on conflict (idempotency_key) do nothing
    returning e.id
  )
  select count(*)::int, max(ins.id) into stored, last_id from ins;
  if stored < cardinality(p_keys) then
    -- Repeated keys: their rows were stored earlier, or by a batch this one waited for (this statement sees it).
    select greatest(last_id, max(e.id)) into last_id from customer_events e where e.idempotency_key = any(p_keys);
  end if;
  -- last_active_at moves only for an event newer than the stored value by more than p_active_step_ms (a customer
  -- active all day is written that often at most), never back. After the events: a batch's customers are locked from
  -- here to commit only, not across its insert (concurrent batches nearly always share a customer, and the KPI
  -- trigger has them wait for each other's commit anyway). Rows locked in id order: never a deadlock.
  update customers c set last_active_at = greatest(c.last_active_at, m.at)
  from (select c2.id, u.at from (select id, max(at) as at from unnest(ids, p_ats) u(id, at) group by id) u
        join customers c2 on c2.id = u.id
        where c2.last_active_at is null or c2.last_active_at < u.at - p_active_step_ms * interval '1 millisecond'
        order by c2.id for update of c2) m
  where c.id = m.id;
  return next;
end $$;`;
