import { Migration } from '@mikro-orm/migrations';

/**
 * ingest_events as the API process can afford it (issue 15: a 1,000-event batch cost the API 19 ms of its main
 * thread, the database's part aside):
 * - it writes the batch's audit event itself: POST /events wrote it with a statement of its own after the batch's
 *   commit, one more round trip and commit per batch, and a batch could be stored without its audit event;
 * - it answers how many customers the batch names and their dispatcher shards (at most 8 numbers), not their ids:
 *   parsing 1,000 uuids from the answer's array took 1.7 ms;
 * - a field no event has may come as null instead of an array of nulls (unnest pads it), and an event naming its
 *   customer by id is not probed for an external id (nor the reverse).
 * A new overload (one more argument): the 8-argument one stays for API processes started before this migration,
 * until a later migration drops it.
 */
export class Migration20261204120000_ingest_events_audit extends Migration {
  override name = 'Migration20261204120000_ingest_events_audit';

  override up(): void | Promise<void> {
    this.addSql(INGEST_EVENTS);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function ingest_events(uuid[], text[], text[], timestamptz[], numeric[], text[], text[], int, text);`);
  }
}

// As Migration20261204070000_ingest_events_function's, with p_audit_actor: the operator whose call stored the batch
// (null: no audit event). The audit event is 'events.recorded' on customer_event 'batch', its details what the API
// answered: accepted (new events), received (the batch's size) and the cursor. shards: the expression of the partial
// index in Migration20261203160000_event_ingest (domain/event-shards.ts eventShardOf).
const INGEST_EVENTS = `create function ingest_events(p_customer_ids uuid[], p_external_ids text[], p_types text[],
  p_ats timestamptz[], p_amounts numeric[], p_campaign_ids text[], p_keys text[], p_active_step_ms int, p_audit_actor text)
returns table (missing_at int[], customers int, shards int[], stored int, last_id bigint) language plpgsql
set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
declare
  ids uuid[];
begin
  select array_agg(coalesce(c.id, x.id) order by u.n), array_agg(u.n::int - 1 order by u.n) filter (where c.id is null and x.id is null)
  into ids, missing_at
  from unnest(p_customer_ids, p_external_ids) with ordinality u(id, ext, n)
  left join lateral (select c.id from customers c where u.id is not null and c.id = u.id) c on true
  left join lateral (select x.id from customers x where u.ext is not null and x.external_id = u.ext) x on true;
  stored := 0;
  if missing_at is not null then return next; return; end if;
  select count(*)::int, array_agg(distinct get_byte(uuid_send(i), 15) % 8) into customers, shards
  from (select distinct i from unnest(ids) i) d;

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
  if p_audit_actor is not null then
    insert into audit_events (at, actor_type, actor_id, action, entity_type, entity_id, details)
    values (now(), 'operator', p_audit_actor, 'events.recorded', 'customer_event', 'batch',
      jsonb_build_object('accepted', stored, 'received', cardinality(p_keys), 'cursor', coalesce(last_id, 0)::text));
  end if;
  return next;
end $$;`;
